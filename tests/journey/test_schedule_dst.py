"""The weekly email goes out at the region's local hour, through the scheduler's own
mechanism (ScheduledRun, one run per slot), on both sides of a DST change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.journey.models import JourneySend
from app.ops.models import ScheduledRun
from jobs import schedule
from tests.journey.helpers import launched, learner

ENTRY = next(e for e in schedule.RECURRING if e.name == "journey.weekly")


def _first_send_hour(monday: date, code: str) -> datetime | None:
    """Tick the scheduler every hour of ``monday`` (UTC) and run what it plans (twice each
    tick: a second scheduler); the UTC hour at which the region's sends appeared."""
    first = None
    for hour in range(24):
        now = datetime.combine(monday, datetime.min.time(), tzinfo=UTC) + timedelta(hours=hour)
        with time_machine.travel(now + timedelta(minutes=1), tick=False):
            for _ in range(2):
                runs = schedule.plan(now, entries=[ENTRY])
                db.session.commit()
                for run in runs:
                    row = db.session.scalars(
                        select(ScheduledRun).where(ScheduledRun.job_id == run.job_id)
                    ).one()
                    schedule.run_recurring(row.id)
            if first is None and db.session.scalars(select(JourneySend)).first():
                first = now
    return first


@pytest.mark.parametrize(
    ("code", "monday", "utc_hour"),
    [
        # Berlin: last Sunday of March 2027 is the 28th (CET → CEST), of October the 31st
        ("de", date(2027, 3, 22), 7),
        ("de", date(2027, 3, 29), 6),
        ("de", date(2027, 10, 25), 6),
        ("de", date(2027, 11, 1), 7),
        # New York keeps its own dates (14 March, 7 November 2027): across the European
        # Sundays nothing moves; across its own the hour moves
        ("us", date(2027, 3, 22), 12),
        ("us", date(2027, 3, 29), 12),
        ("us", date(2027, 3, 8), 13),
        ("us", date(2027, 3, 15), 12),
        ("us", date(2027, 11, 1), 12),
        ("us", date(2027, 11, 8), 13),
    ],
)
def test_sent_at_eight_local_across_dst(code: str, monday: date, utc_hour: int) -> None:
    rollout = launched(code, starts_on=monday - timedelta(weeks=1))
    learner(rollout)
    learner(rollout)
    db.session.commit()
    at = _first_send_hour(monday, code)
    assert at == datetime.combine(monday, datetime.min.time(), tzinfo=UTC) + timedelta(
        hours=utc_hour
    )
    # once per learner, whatever the later ticks of the day did
    sends = db.session.scalars(select(JourneySend)).all()
    assert len(sends) == 2 and {s.week for s in sends} == {
        f"{monday.isocalendar()[0]}-W{monday.isocalendar()[1]:02d}"
    }
