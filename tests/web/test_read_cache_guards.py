"""The read cache cannot be misused (issue 22, item 7): it keys every entry by the caller's
region scope itself, takes plain values only, hands out values nobody can change, and
knows which tables each cached function reads.

Before, ``memoised`` keyed entries by the arguments alone (a ``scope`` argument that looked
unused kept one person's regions from another), kept the very list or dict it returned
(a caller that appended to it changed every later page) and took ORM objects as keys.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from flask import g
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from app.approvals.queries import Funnel, funnels_now
from app.extensions import db
from app.frozen import freeze
from app.ops.models import ScheduledRun
from app.readcache import ReadEpoch, read_cache
from app.regions.models import Region
from app.scoping import set_region_scope
from tests.factories import region

CALLS: list[str] = []


@read_cache.cached(reads=("region",))
def _visible_codes() -> list[str]:
    """No scope argument at all: the cache must key by the scope on its own."""
    CALLS.append("x")
    return list(db.session.scalars(select(Region.code).order_by(Region.code)))


@pytest.fixture
def get_request(app) -> Iterator[None]:  # type: ignore[no-untyped-def]
    region("de"), region("us")
    db.session.commit()
    with app.test_request_context("/", method="GET"):
        yield
    set_region_scope(db.session, None)


def test_one_persons_cached_regions_are_not_anothers(get_request) -> None:
    CALLS.clear()
    de, us = region("de").id, region("us").id
    set_region_scope(db.session, [us])
    assert _visible_codes() == ("us",)
    assert _visible_codes() == ("us",)
    assert len(CALLS) == 1  # the second call was served from the cache
    set_region_scope(db.session, [de])
    assert _visible_codes() == ("de",)
    set_region_scope(db.session, None)  # a global admin
    assert {"de", "us"} <= set(_visible_codes())
    assert len(CALLS) == 3


def test_cached_values_cannot_be_changed_by_a_caller(get_request) -> None:
    codes = _visible_codes()
    with pytest.raises(AttributeError):
        codes.append("xx")  # type: ignore[attr-defined]
    figures = funnels_now(region_id=region("us").id, rollout_ids=(1,))
    with pytest.raises(TypeError):
        figures[2] = Funnel()  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        figures[1].requested = 99  # type: ignore[misc]
    assert funnels_now(region_id=region("us").id, rollout_ids=(1,))[1].requested == 0
    frozen = freeze({"a": [1, {"b": {2}}]})
    with pytest.raises(TypeError):
        frozen["a"][1]["c"] = 3


def test_only_plain_values_are_taken_or_kept(get_request) -> None:
    with pytest.raises(TypeError, match="plain value"):
        funnels_now(region_id=region("us"), rollout_ids=(1,))  # an ORM object
    with pytest.raises(TypeError, match="plain value"):
        funnels_now(region_id=1, rollout_ids=[1])  # a list
    with pytest.raises(TypeError, match="ORM object"):
        freeze([region("us")])

    @dataclasses.dataclass
    class Loose:
        n: int

    with pytest.raises(TypeError, match="frozen dataclass"):
        freeze(Loose(1))


def test_a_cached_function_must_name_real_tables(get_request) -> None:
    with pytest.raises(ValueError, match="which tables"):
        read_cache.cached(reads=())

    @read_cache.cached(reads=("no_such_table",))
    def broken() -> int:
        return 1

    try:
        with pytest.raises(RuntimeError, match="no_such_table"):
            broken()
    finally:
        read_cache.reads.pop(f"{broken.__module__}.{broken.__qualname__}")


def _epoch() -> int:
    with Session(db.engine) as fresh:
        return fresh.execute(select(ReadEpoch.n)).scalar_one()


def _write_scheduled_run(stamp: str) -> None:
    db.session.execute(
        insert(ScheduledRun).values(name="tick", scope=stamp, slot=stamp, job_id=stamp)
    )
    db.session.commit()


def test_a_write_invalidates_what_declares_its_table(app) -> None:  # type: ignore[no-untyped-def]
    before = _epoch()
    _write_scheduled_run("a")  # nothing cached reads the scheduler's run guard
    assert _epoch() == before

    @read_cache.cached(reads=("scheduled_run",))
    def runs() -> int:
        return 0

    try:
        _write_scheduled_run("b")  # now something does
        assert _epoch() == before + 1
    finally:
        read_cache.reads.pop(f"{runs.__module__}.{runs.__qualname__}")
    _write_scheduled_run("c")
    assert _epoch() == before + 1

    # a statement whose table the cache cannot know from its construct: every table
    db.session.execute(
        text("UPDATE scheduled_run SET job_id = :j WHERE scope = :s"), {"j": "z", "s": "c"}
    )
    db.session.commit()
    assert _epoch() == before + 2


def test_a_write_to_a_declared_table_shows_on_the_next_request(app) -> None:  # type: ignore[no-untyped-def]
    us = region("us")
    name = us.name
    db.session.commit()
    with app.test_request_context("/", method="GET"):
        set_region_scope(db.session, None)
        first = _visible_codes()
    try:
        us.code = "us-renamed"
        db.session.commit()
        with app.test_request_context("/", method="GET"):
            g.pop("read_epoch", None)  # the test's app context outlives the request
            assert _visible_codes() != first
            assert "us-renamed" in _visible_codes()
    finally:
        region_row = db.session.scalars(select(Region).where(Region.code == "us-renamed")).one()
        region_row.code = "us"
        region_row.name = name
        db.session.commit()
