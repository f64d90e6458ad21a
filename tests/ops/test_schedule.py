"""The recurring-jobs tick: per region in its own zone, deterministic ids, once per slot."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from rq import Queue
from sqlalchemy import func, select

from app.extensions import db
from app.ops.models import ScheduledRun
from app.tasks import get_redis
from jobs import schedule
from jobs.schedule import MONDAY, Daily, Every, Recurring, Weekly, due_runs, plan, tick

REGIONS = [(1, "de", "Europe/Berlin"), (2, "in", "Asia/Kolkata"), (3, "us", "America/New_York")]
WEEKLY = Recurring("test.weekly", "jobs.schedule.prune_runs", Weekly(MONDAY, time(7, 0)))


def test_weekly_slot_in_each_region_own_zone() -> None:
    # Monday 02:00 UTC: 07:30 in India (due), 03:00 in Berlin, Sunday evening in New York
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    runs = due_runs(now, REGIONS, [WEEKLY])
    assert [(r.scope, r.slot) for r in runs] == [("in", "2026-11-23T07:00")]
    assert runs[0].args == (2, "2026-11-23T01:30:00+00:00")
    assert runs[0].job_id == "test_weekly-in-2026-11-23T07_00"


def test_daily_slot_across_dst_and_catch_up_window() -> None:
    entry = Recurring("test.daily", "x", Daily(time(2, 30)), catch_up=timedelta(hours=12))
    # 29 March 2026: Berlin springs forward at 02:00, so 02:30 does not exist → 03:30 CEST
    runs = due_runs(datetime(2026, 3, 29, 1, 45, tzinfo=UTC), REGIONS[:1], [entry])
    assert runs and runs[0].slot_local.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 20 hours after the slot: too late to run it now
    assert due_runs(datetime(2026, 3, 29, 21, 45, tzinfo=UTC), REGIONS[:1], [entry]) == []


def test_every_slots_align() -> None:
    entry = Recurring("test.every", "x", Every(15), per_region=False)
    [run] = due_runs(datetime(2026, 11, 23, 10, 44, tzinfo=UTC), REGIONS, [entry])
    assert run.scope == "global" and run.slot == "2026-11-23T10:30"


def test_a_slot_is_planned_once_even_by_two_schedulers() -> None:
    monday = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # past 07:00 everywhere but the US
    first = plan(monday, entries=[WEEKLY])
    db.session.commit()
    assert {r.scope for r in first} == {"de", "fr", "in"}
    assert plan(monday, entries=[WEEKLY]) == []  # the second scheduler, or the next tick
    later = plan(monday + timedelta(hours=6), entries=[WEEKLY])  # 07:00 has come in New York
    assert [r.scope for r in later] == ["us"]
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ScheduledRun)) == 4


def test_missed_tick_catches_up_and_enqueues_with_deterministic_ids() -> None:
    """The registry as shipped: its master-class round is due at 07:00 in each region."""
    daily = next(e for e in schedule.RECURRING if e.name == "masterclasses.daily")
    assert daily.due == Daily(time(7, 0)) and daily.per_region
    # the scheduler was down at 07:00 Berlin; it comes back at 09:10
    runs = tick(datetime(2026, 11, 23, 8, 10, tzinfo=UTC))
    assert {r.scope for r in runs if r.entry is daily} == {"de", "fr", "in"}
    ids = set(Queue(daily.queue, connection=get_redis()).get_job_ids())
    assert "masterclasses_daily-de-2026-11-23T07_00" in ids
    assert tick(datetime(2026, 11, 23, 8, 11, tzinfo=UTC)) == []


@pytest.mark.parametrize("entry", schedule.RECURRING, ids=lambda e: e.name)
def test_registry_entries_point_at_importable_jobs(entry: Recurring) -> None:
    from rq.utils import import_attribute

    assert callable(import_attribute(entry.func))
    assert len({e.name for e in schedule.RECURRING}) == len(schedule.RECURRING)


def test_every_recurring_entry_points_at_a_job_that_takes_its_arguments():
    import inspect

    from rq.utils import import_attribute

    from jobs.schedule import RECURRING

    names = [entry.name for entry in RECURRING]
    assert len(names) == len(set(names))
    for entry in RECURRING:
        func = import_attribute(entry.func)
        args = (
            (1, "2026-11-23T08:00:00+00:00") if entry.per_region else ("2026-11-23T08:00:00+00:00",)
        )
        inspect.signature(func).bind(*args)  # raises TypeError if the call would fail
