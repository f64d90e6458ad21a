"""Two progress imports of one rollout at once (a lead's upload and a connector's sync)
both succeed, and the newer observation wins.

The second import's snapshot does not see the first's rows yet: its merge waits for the
first to commit on the unique key, then applies its newer row over the first's. (A merge
that inserted the new rows with a plain INSERT, without the unique key's ON CONFLICT,
raised a UniqueViolation here; bench/README.md, "Tried and not kept".)
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.progress.importing import import_stream
from app.progress.models import ModuleProgress
from app.regions.models import Region
from app.rollouts.models import Rollout
from tests.progress.helpers import FIXTURES, make_course
from tests.threads import at_once


def _import(ids: tuple[int, int], filename: str) -> int:
    with (FIXTURES / filename).open("rb") as raw:
        result = import_stream(
            region=db.session.get(Region, ids[0]),
            rollout=db.session.get(Rollout, ids[1]),
            raw=raw,
            filename=filename,
        )
    db.session.flush()
    return result.applied


def _waiting_for_a_lock() -> bool:
    return bool(
        db.session.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar()
    )


def test_an_import_racing_another_takes_the_unique_key_and_keeps_the_newer_row(app) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes one transaction at a time")
    course = make_course()
    db.session.commit()
    ids = (course.rollout.region_id, course.rollout.id)
    first_written = threading.Event()
    applied: dict[str, int] = {}

    def first() -> None:  # Ben at 60 % on 1 October, Ada's m1 done; commits late
        try:
            applied["first"] = _import(ids, "summit_progress.csv")
        finally:
            first_written.set()
        deadline = time.monotonic() + 20
        while not _waiting_for_a_lock() and time.monotonic() < deadline:
            time.sleep(0.05)

    def second() -> None:  # Ben at 80 % on 3 October
        first_written.wait(20)
        applied["second"] = _import(ids, "summit_progress_newer.csv")

    errors, _ = at_once(app, first, second)
    assert errors == []
    assert applied == {"first": 2, "second": 1}
    ben = course.enrollments["ben"].id
    rows = db.session.scalars(
        select(ModuleProgress).where(ModuleProgress.enrollment_id == ben)
    ).all()
    assert [(r.module_id, r.percent) for r in rows] == [(course.module("m2").id, 80.0)]
