"""Term close is safe to race: six closes of the same term at once all succeed and
leave one close row (the daily job, a lead's click and the CLI may meet)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select

from app.extensions import db
from app.programs.models import Term
from app.regions.models import Region
from app.rollouts.models import Rollout, RolloutStatus
from app.terms.closing import close_term
from app.terms.models import TermClose
from tests.factories import RolloutFactory, region

CLOSE = datetime(2026, 10, 12, 5, tzinfo=UTC)


def test_concurrent_closes_of_an_empty_rollout_all_succeed(app) -> None:
    """Fails on the old close (read, then insert): one crashed with a UniqueViolation."""
    rollout = RolloutFactory(region_id=region("de").id, status=RolloutStatus.LAUNCHED)
    db.session.commit()
    ids = (rollout.region_id, rollout.id, rollout.program.terms[0].id)
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def close() -> None:
        with app.app_context():
            try:
                start.wait(10)
                close_term(
                    region=db.session.get(Region, ids[0]),
                    rollout=db.session.get(Rollout, ids[1]),
                    term=db.session.get(Term, ids[2]),
                    now=CLOSE,
                )
                db.session.commit()
            except BaseException as exc:
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=close) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(TermClose)) == 1
