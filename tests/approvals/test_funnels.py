"""The approval list's funnels (issue 26): counts by status, pending requests by age and the
median time to decision of several rollouts, in one pass over their requests (one statement
on PostgreSQL; SQLite, without a percentile, streams the durations in a second)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select

from app.approvals.models import AllocationStatus, TimeAllocation
from app.approvals.queries import AGE_BUCKETS, Funnel, funnels
from app.extensions import db
from tests.approvals.helpers import commit, manager, report, rollout_in
from tests.factories import region

NOW = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
LABELS = [label for _days, label in AGE_BUCKETS]


def _requests(rollout, boss, plan):
    """One committed report of ``boss`` per (status, days since requested, hours to decide)."""
    for status, days, hours in plan:
        enrollment = commit(report(rollout, boss))
        allocation = db.session.scalars(
            select(TimeAllocation).where(TimeAllocation.enrollment_id == enrollment.id)
        ).one()
        allocation.status = status
        allocation.requested_at = NOW - timedelta(days=days)
        allocation.request_sent_at = NOW - timedelta(days=days) + timedelta(hours=1)
        if hours is not None:
            allocation.decided_at = allocation.request_sent_at + timedelta(hours=hours)
    db.session.flush()


def test_several_rollouts_counted_by_status_and_age_in_one_pass():
    boss = manager("de")
    busy, waiting, empty = rollout_in("de"), rollout_in("de"), rollout_in("de")
    elsewhere = rollout_in("fr")
    _requests(
        busy,
        boss,
        [
            (AllocationStatus.APPROVED, 9, 2),
            (AllocationStatus.APPROVED, 9, 4),
            (AllocationStatus.DECLINED, 9, 6),
            (AllocationStatus.PROPOSED, 9, 10),
            (AllocationStatus.PENDING, 1, None),  # under 3 days
            (AllocationStatus.PENDING, 5, None),  # 3–7 days
            (AllocationStatus.PENDING, 10, None),  # 1–2 weeks
            (AllocationStatus.PENDING, 20, None),  # over 2 weeks
            (AllocationStatus.PENDING, 21, None),
        ],
    )
    _requests(waiting, boss, [(AllocationStatus.PENDING, 2, None)])
    _requests(elsewhere, manager("fr"), [(AllocationStatus.APPROVED, 3, 1)])
    seen: list[str] = []

    def count(conn, cursor, statement, *args: object) -> None:
        if "time_allocation" in statement:
            seen.append(statement)

    ids = [busy.id, waiting.id, empty.id, elsewhere.id]
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = funnels(region_id=region("de").id, rollout_ids=ids, now=NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert result[busy.id] == Funnel(
        requested=9,
        approved=2,
        declined=1,
        proposed=1,
        pending=5,
        pending_by_age=tuple(zip(LABELS, (1, 1, 1, 2), strict=True)),
        median_hours_to_decision=5.0,  # of 2, 4, 6 and 10 hours after the email
    )
    assert result[waiting.id] == Funnel(
        requested=1, pending=1, pending_by_age=tuple(zip(LABELS, (1, 0, 0, 0), strict=True))
    )
    # no request at all, or requests of another region only: an empty funnel
    nothing = Funnel(pending_by_age=tuple((label, 0) for label in LABELS))
    assert result[empty.id] == nothing
    assert result[elsewhere.id] == nothing
    postgres = db.session.get_bind().dialect.name == "postgresql"
    assert len(seen) == (1 if postgres else 2)
