"""Every metric on the crafted week, worked out by hand (see dataset.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event

from app.approvals.models import AllocationStatus, TimeAllocation
from app.extensions import db
from app.metrics.families import required_modules
from app.metrics.presentation import format_change, format_value, rows
from app.metrics.queries import compute
from app.tabular import neutralise
from app.weeks import send_time, week_end
from tests.factories import PersonFactory, ProgramFactory, region
from tests.metrics import dataset


def _week_figures(week: str = dataset.WEEK) -> dict:
    de, india = region("de"), region("in")
    return compute({de.id: week_end(week, de.time_zone), india.id: week_end(week, india.time_zone)})


def test_every_metric_of_the_crafted_week() -> None:
    dataset.build()
    snap = _week_figures()
    f = snap.regions[region("de").id]
    assert f["as_of"] == "2026-11-29T23:00:00+00:00"  # Monday 00:00 in Berlin
    counts = {
        k: f[k]
        for k in (
            "enrolled",
            "withdrawn",
            "removed",
            "in_program",
            "completed",
            "on_pace",
            "active_7d",
            "approvals_requested",
            "approvals_approved",
            "approvals_pending",
            "calls_held_28d",
            "call_attendees_28d",
            "free_riders",
            "free_rider_candidates",
            "goal_answered",
            "goal_reached",
            "goal_partly",
            "masterclass_invited",
            "masterclass_rsvps",
            "buddy_reviews",
            "buddy_signed",
        )
    }
    assert counts == {
        "enrolled": 10,
        "withdrawn": 1,
        "removed": 1,
        "in_program": 8,
        "completed": 2,
        "on_pace": 4,
        "active_7d": 2,
        "approvals_requested": 8,
        "approvals_approved": 5,
        "approvals_pending": 2,
        "calls_held_28d": 2,
        "call_attendees_28d": 3,
        "free_riders": 1,
        "free_rider_candidates": 1,
        "goal_answered": 4,
        "goal_reached": 2,
        "goal_partly": 1,
        "masterclass_invited": 2,
        "masterclass_rsvps": 1,
        "buddy_reviews": 6,
        "buddy_signed": 2,
    }
    assert f["funnel"] == {
        "invited": 8,
        "committed": 7,
        "time_approved": 6,
        "active": 5,
        "completed": 2,
    }
    assert f["completion_rate"] == 2 / 9
    assert f["on_pace_rate"] == 4 / 8
    assert f["active_7d_rate"] == 2 / 8
    assert f["approval_rate"] == 5 / 8
    assert f["median_hours_to_approval"] == 30.0
    assert f["call_attendance_rate"] == 3 / 8
    assert f["goal_attainment_answered"] == 2 / 4
    assert f["goal_attainment_enrolled"] == 2 / 10
    assert f["buddy_signoff_rate"] == 2 / 6
    # the aggregate region's names are never even read
    assert "free_rider_names" not in f
    assert dataset.HIDDEN_NAME not in repr(snap)


def test_named_region_and_pooled_global_figures() -> None:
    dataset.build()
    snap = _week_figures()
    india = snap.regions[region("in").id]
    assert india["as_of"] == "2026-11-29T18:30:00+00:00"  # Monday 00:00 in Kolkata
    assert (india["enrolled"], india["removed"], india["completed"]) == (3, 1, 1)
    assert india["free_rider_names"] == [
        {"name": dataset.NAMED_FREE_RIDER, "term": 1, "term_title": "Term 1"}
    ]
    assert india["completion_rate"] == 1 / 3
    overall = snap.overall
    assert (overall["enrolled"], overall["completed"], overall["withdrawn"]) == (13, 3, 1)
    assert overall["completion_rate"] == 3 / 12
    assert overall["median_hours_to_approval"] == 30.0  # India has no approvals


def test_rows_format_each_figure_once_with_last_weeks_change() -> None:
    dataset.build()
    current = _week_figures()
    previous = _week_figures("2026-W47")
    de = region("de").id
    table = {r.key: r for r in rows(current.regions[de], previous.regions[de])}
    assert table["completion_rate"].value == "22%"
    assert table["completion_rate"].detail == "2 / 9"
    # last week: only E2 had completed (1 / 9 = 11%)
    assert table["completion_rate"].change == "▲ 11 pts"
    assert table["approval_rate"].value == "63%"  # 62.5% rounds half up
    assert table["median_hours_to_approval"].value == "30 hr"  # Babel's short unit, not "30.0 h"
    assert table["call_attendance_rate"].value == "38%"
    assert table["buddy_signoff_rate"].value == "33%"
    assert table["goal_attainment_enrolled"].value == "20%"


def test_statement_count_does_not_grow_with_learners() -> None:
    from tests.factories import EnrollmentFactory

    data = dataset.build()
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        _week_figures()
        small = len(statements)
        for _ in range(40):
            EnrollmentFactory(rollout=data.de_rollout, invited_at=dataset.at(11, 3))
        db.session.flush()
        statements.clear()
        _week_figures()
        assert len(statements) == small
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert small <= 20


def test_required_modules_pro_rata_within_the_term() -> None:
    program = ProgramFactory(structure=date(2026, 10, 12))
    assert required_modules(program, date(2026, 10, 11)) == 0
    assert required_modules(program, date(2026, 11, 8)) == 2  # term 1 ended
    # term 2 asks 2 more modules over 28 days: the first is due once 14 days have passed
    assert required_modules(program, date(2026, 11, 21)) == 2
    assert required_modules(program, date(2026, 11, 22)) == 3
    assert required_modules(program, date(2026, 12, 6)) == 4


def test_week_end_and_send_time_follow_each_zone_and_dst() -> None:
    assert send_time("2026-W48", "Asia/Kolkata") == datetime(2026, 11, 30, 2, 30, tzinfo=UTC)
    assert send_time("2026-W48", "Europe/Berlin") == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert send_time("2026-W48", "America/New_York") == datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
    # summer time: Berlin is UTC+2, New York UTC-4
    assert send_time("2026-W27", "Europe/Berlin") == datetime(2026, 7, 6, 6, 0, tzinfo=UTC)
    assert send_time("2026-W27", "America/New_York") == datetime(2026, 7, 6, 12, 0, tzinfo=UTC)


def test_formatting_and_csv_neutralisation() -> None:
    assert format_value("rate", 0.125) == "13%"
    assert format_value("rate", None) == "—"
    assert format_change("rate", 0.20, 0.26) == "▼ 6 pts"
    assert format_change("count", 5, 5) == "±0"
    for prefix in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(f"{prefix}SUM(A1)") == f"'{prefix}SUM(A1)"
    assert neutralise("Germany") == "Germany"


def test_the_trend_and_the_funnel_alone_agree_with_compute() -> None:
    """The one-statement completion trend and the funnel-only query count as compute does,
    week by week, for each region and pooled, and for one rollout."""
    from app.metrics.queries import funnel_at, pool
    from app.rollouts.queries import completion_trend
    from app.weeks import shift_week

    data = dataset.build()
    de, india = region("de"), region("in")
    weeks = [shift_week(dataset.WEEK, -k) for k in range(5, -2, -1)]
    cutoffs = {
        w: {de.id: week_end(w, de.time_zone), india.id: week_end(w, india.time_zone)} for w in weeks
    }
    trend = completion_trend(cutoffs)
    only_de = completion_trend(cutoffs, rollout_ids=[data.de_rollout.id])
    assert list(trend) == weeks
    for w in weeks:
        snap = compute(cutoffs[w])
        for rid in (de.id, india.id):
            assert trend[w][rid] == snap.regions[rid]["completion_rate"], (w, rid)
        assert only_de[w][de.id] == snap.regions[de.id]["completion_rate"]
        assert trend[w]["all"] == pool(list(snap.regions.values()))["completion_rate"]
        assert funnel_at(cutoffs[w]) == {rid: f["funnel"] for rid, f in snap.regions.items()}
    assert any(trend[w][de.id] for w in weeks)  # the crafted weeks do complete learners


def test_medians_of_an_even_and_an_odd_count_per_region_and_for_everyone() -> None:
    """The median of an even count is the mean of its two middle values, per region and over
    every region at once; what was decided after a region's own week end is left out."""
    data = dataset.build()
    india = region("in")
    manager = PersonFactory(region_id=india.id, name="Mira Manager")

    def approved(key: str, hours: float, *, requested: datetime | None = None) -> None:
        requested = requested or dataset.at(11, 2)
        enrollment = dataset._enroll(data.in_rollout, key, [])
        db.session.add(
            TimeAllocation(
                region_id=india.id,
                enrollment_id=enrollment.id,
                manager_id=manager.id,
                status=AllocationStatus.APPROVED,
                hours_requested=2.0,
                requested_at=requested,
                decided_at=requested + timedelta(hours=hours),
            )
        )
        db.session.flush()

    for key, hours in (("I1", 7), ("I2", 10), ("I3", 41), ("I4", 45)):
        approved(key, hours)
    # decided 29 Nov 20:00 UTC: after India's week end (18:30 UTC), before Germany's
    approved("I5", 2, requested=datetime(2026, 11, 29, 18, tzinfo=UTC))
    snap = _week_figures()
    assert snap.regions[india.id]["median_hours_to_approval"] == 25.5  # of 7, 10, 41, 45
    assert snap.regions[region("de").id]["median_hours_to_approval"] == 30.0
    # everyone: 7, 10, 12, 24, 30, 41, 45, 48, 96
    assert snap.overall["median_hours_to_approval"] == 30.0
    approved("I6", 100)
    snap = _week_figures()
    assert snap.regions[india.id]["median_hours_to_approval"] == 41.0
    assert snap.overall["median_hours_to_approval"] == 35.5  # (30 + 41) / 2
