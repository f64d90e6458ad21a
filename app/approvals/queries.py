"""Read side of manager sign-off: the dashboard's figures and the CSV export, set-based."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from app.approvals.models import AllocationStatus, TimeAllocation
from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.language import N_
from app.people.models import Person
from app.rates import approval_rate
from app.readcache import read_cache
from app.rollouts.models import Enrollment, Rollout

#: pending requests by age (days since the learner committed); labels translated when shown
AGE_BUCKETS = (
    (3, N_("under 3 days")),
    (7, N_("3–7 days")),
    (14, N_("1–2 weeks")),
    (None, N_("over 2 weeks")),
)


@dataclass(frozen=True)
class Funnel:
    requested: int = 0
    approved: int = 0
    declined: int = 0
    proposed: int = 0
    pending: int = 0
    pending_by_age: tuple[tuple[str, int], ...] = ()
    #: median time from the request email to the decision, in hours
    median_hours_to_decision: float | None = None

    @property
    def approval_rate(self) -> float | None:
        """The reports' approval rate (app.metrics): approved / requested."""
        return approval_rate(approved=self.approved, requested=self.requested)


@read_cache.cached(reads=("time_allocation", "enrollment"))
def funnels_now(*, region_id: int, rollout_ids: tuple[int, ...]) -> dict[int, Funnel]:
    """:func:`funnels` as of now (the ages of pending requests move on within the read
    cache's TTL)."""

    return funnels(region_id=region_id, rollout_ids=rollout_ids, now=utcnow())


def funnels(*, region_id: int, rollout_ids: Iterable[int], now: datetime) -> dict[int, Funnel]:
    """Requested, approved, declined, proposed, pending by age and median time to decision,
    per rollout: one grouped statement on PostgreSQL (one pass over the rollouts' requests),
    whatever the number of learners; on SQLite, which has no percentile, a second one streams
    the decisions' durations."""
    ids = list(rollout_ids)
    result: dict[int, Funnel] = {rid: Funnel() for rid in ids}
    if not ids:
        return result
    base = (
        select(Enrollment.rollout_id)
        .select_from(TimeAllocation)
        .join(Enrollment, Enrollment.id == TimeAllocation.enrollment_id)
        .where(TimeAllocation.region_id == region_id, Enrollment.rollout_id.in_(ids))
        .group_by(Enrollment.rollout_id)
    )
    pending = TimeAllocation.status == AllocationStatus.PENDING
    whens = [
        (TimeAllocation.requested_at > now - timedelta(days=days), i)
        for i, (days, _label) in enumerate(AGE_BUCKETS)
        if days is not None
    ]
    # a pending request's age bucket (the youngest that holds it, else the last)
    bucket = case(*whens, else_=len(AGE_BUCKETS) - 1)
    counts = [func.count()]
    counts += [func.sum(case((TimeAllocation.status == s, 1), else_=0)) for s in AllocationStatus]
    counts += [
        func.sum(case((and_(pending, bucket == i), 1), else_=0)) for i in range(len(AGE_BUCKETS))
    ]
    asked = func.coalesce(TimeAllocation.request_sent_at, TimeAllocation.requested_at)
    has_decision = TimeAllocation.decided_at.is_not(None)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    if postgres:
        seconds = func.extract("epoch", TimeAllocation.decided_at - asked)
        counts.append(func.percentile_cont(0.5).within_group(seconds).filter(has_decision))
    for rollout_id, requested, *rest in db.session.execute(base.add_columns(*counts)):
        by_status = dict(zip(AllocationStatus, rest[: len(AllocationStatus)], strict=True))
        by_age = rest[len(AllocationStatus) : len(AllocationStatus) + len(AGE_BUCKETS)]
        median = rest[-1] if postgres else None
        result[rollout_id] = Funnel(
            requested=int(requested),
            **{status.value: int(n or 0) for status, n in by_status.items()},
            pending_by_age=tuple(
                (label, int(n or 0)) for (_d, label), n in zip(AGE_BUCKETS, by_age, strict=True)
            ),
            median_hours_to_decision=(
                round(max(median, 0) / 3600, 1) if median is not None else None
            ),
        )
    for rollout_id, f in result.items():
        if not f.pending_by_age:  # no request at all
            result[rollout_id] = replace(
                f, pending_by_age=tuple((label, 0) for _d, label in AGE_BUCKETS)
            )
    if postgres:
        return result
    # SQLite has no percentile: stream the pairs (the embedded database is for small runs)
    durations: dict[int, list[float]] = defaultdict(list)
    decided = (
        select(Enrollment.rollout_id, asked, TimeAllocation.decided_at)
        .select_from(TimeAllocation)
        .join(Enrollment, Enrollment.id == TimeAllocation.enrollment_id)
        .where(TimeAllocation.region_id == region_id, Enrollment.rollout_id.in_(ids), has_decision)
    )
    for rollout_id, start, end in db.session.execute(decided.execution_options(yield_per=5000)):
        durations[rollout_id].append(_hours_between(start, end))
    for rollout_id, values in durations.items():
        result[rollout_id] = replace(
            result[rollout_id], median_hours_to_decision=round(statistics.median(values), 1)
        )
    return result


def _hours_between(start: Any, end: Any) -> float:

    start = UTCDateTime().process_result_value(start, None)  # type: ignore[arg-type]
    end = UTCDateTime().process_result_value(end, None)  # type: ignore[arg-type]
    return max((end - start).total_seconds() / 3600, 0.0)


@read_cache.cached(reads=("time_allocation", "enrollment", "person"))
def needs_follow_up(*, region_id: int, rollout_id: int, limit: int = 200) -> list[Any]:
    """Declines and proposals of a rollout, newest first: the lead follows up on each.

    Rows of the listed values (id, status, hours_decided, reason, learner, manager): one
    statement, no model (and no lazy load of each manager) per row.
    """
    learner = aliased(Person)
    manager = aliased(Person)
    return list(
        db.session.execute(
            select(
                TimeAllocation.id,
                TimeAllocation.status,
                TimeAllocation.hours_decided,
                TimeAllocation.reason,
                learner.name.label("learner_name"),
                manager.name.label("manager_name"),
            )
            .select_from(TimeAllocation)
            .join(Enrollment, Enrollment.id == TimeAllocation.enrollment_id)
            .join(learner, learner.id == Enrollment.person_id)
            .outerjoin(manager, manager.id == TimeAllocation.manager_id)
            .where(
                TimeAllocation.region_id == region_id,
                Enrollment.rollout_id == rollout_id,
                TimeAllocation.status.in_([AllocationStatus.DECLINED, AllocationStatus.PROPOSED]),
            )
            .order_by(TimeAllocation.decided_at.desc(), TimeAllocation.id)
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class WaitingManager:
    #: the decider's id and name (a row, not the model)
    person: Any
    reports: int
    oldest: datetime
    reminders: int
    escalated: bool
    #: pending requests already emailed to them: "resend" is offered only when one was
    sent: int = 0


@read_cache.cached(reads=("time_allocation", "enrollment", "person"))
def waiting_managers(
    *, region_id: int, rollout_id: int, offset: int = 0, limit: int = 100
) -> list[WaitingManager]:
    """Managers (or delegates) with pending requests, longest waiting first, one query."""
    decider = func.coalesce(TimeAllocation.delegate_id, TimeAllocation.manager_id)
    rows = db.session.execute(
        select(
            decider.label("decider"),
            func.count(),
            func.min(TimeAllocation.requested_at),
            func.max(TimeAllocation.reminders_sent),
            func.max(case((TimeAllocation.escalated_at.is_not(None), 1), else_=0)),
            func.count(TimeAllocation.request_sent_at),
        )
        .select_from(TimeAllocation)
        .join(Enrollment, Enrollment.id == TimeAllocation.enrollment_id)
        .where(
            TimeAllocation.region_id == region_id,
            Enrollment.rollout_id == rollout_id,
            TimeAllocation.status == AllocationStatus.PENDING,
        )
        .group_by(decider)
        .order_by(func.min(TimeAllocation.requested_at), decider)
        .offset(offset)
        .limit(limit)
    ).all()
    people = {
        p.id: p
        for p in db.session.execute(
            select(Person.id, Person.name).where(Person.id.in_([r[0] for r in rows]))
        )
    }

    return [
        WaitingManager(
            person=people[decider_id],
            reports=n,
            oldest=UTCDateTime().process_result_value(oldest, None),  # type: ignore[arg-type]
            reminders=reminders or 0,
            escalated=bool(escalated),
            sent=sent or 0,
        )
        for decider_id, n, oldest, reminders, escalated, sent in rows
        if decider_id in people
    ]


@read_cache.cached(reads=("time_allocation", "enrollment", "person"))
def decided_by_the_lead(*, region_id: int, rollout_id: int, limit: int = 200) -> list[Any]:
    """Pending requests of learners without a manager (the top of the roster): the local
    lead decides them here. Rows (id, learner name, hours requested, requested at)."""
    learner = aliased(Person)
    return list(
        db.session.execute(
            select(
                TimeAllocation.id,
                learner.name.label("learner_name"),
                TimeAllocation.hours_requested,
                TimeAllocation.requested_at,
            )
            .select_from(TimeAllocation)
            .join(Enrollment, Enrollment.id == TimeAllocation.enrollment_id)
            .join(learner, learner.id == Enrollment.person_id)
            .where(
                TimeAllocation.region_id == region_id,
                Enrollment.rollout_id == rollout_id,
                TimeAllocation.status == AllocationStatus.PENDING,
                TimeAllocation.manager_id.is_(None),
            )
            .order_by(TimeAllocation.requested_at, TimeAllocation.id)
            .limit(limit)
        )
    )


#: the export's columns, headed in the reader's language (``gettext`` them when written)
EXPORT_HEADER = (
    N_("Employee ID"),
    N_("Learner"),
    N_("Learner's email"),
    N_("Manager"),
    N_("Manager's email"),
    N_("Delegate"),
    N_("Status"),
    N_("Hours requested per week"),
    N_("Hours approved per week"),
    N_("Reason"),
    N_("Requested at (UTC)"),
    N_("Decided at (UTC)"),
    N_("Decided via"),
    N_("Reminders sent"),
)


def export_rows(*, region_id: int, rollout_id: int) -> Iterator[tuple[Any, ...]]:
    """Every allocation of a rollout as plain values, streamed in batches."""
    learner = aliased(Person)
    manager = aliased(Person)
    delegate = aliased(Person)
    stmt = (
        select(
            learner.employee_id,
            learner.name,
            learner.email,
            manager.name,
            manager.email,
            delegate.name,
            TimeAllocation.status,
            TimeAllocation.hours_requested,
            TimeAllocation.hours_decided,
            TimeAllocation.reason,
            TimeAllocation.requested_at,
            TimeAllocation.decided_at,
            TimeAllocation.decided_via,
            TimeAllocation.reminders_sent,
        )
        .select_from(TimeAllocation)
        .join(Enrollment, Enrollment.id == TimeAllocation.enrollment_id)
        .join(learner, learner.id == Enrollment.person_id)
        .outerjoin(manager, manager.id == TimeAllocation.manager_id)
        .outerjoin(delegate, delegate.id == TimeAllocation.delegate_id)
        .where(TimeAllocation.region_id == region_id, Enrollment.rollout_id == rollout_id)
        .order_by(learner.employee_id)
        .execution_options(yield_per=2000)
    )
    for row in db.session.execute(stmt):
        values = list(row)
        values[6] = AllocationStatus(values[6]).value
        for i in (10, 11):  # UTC instants, to the second, as ISO 8601 (2026-12-04T09:30:00Z)
            if values[i] is not None:
                instant = values[i] if values[i].tzinfo else values[i].replace(tzinfo=UTC)
                values[i] = instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        yield tuple(values)


def allocations_for(*, rollout_id: int, region_id: int, person_id: int) -> list[TimeAllocation]:
    """The time allocations of a rollout a person decides on (as manager or delegate),
    by the learner's name."""
    rows = db.session.scalars(
        select(TimeAllocation)
        .join(TimeAllocation.enrollment)
        .where(
            TimeAllocation.region_id == region_id,
            Enrollment.rollout_id == rollout_id,
            or_(TimeAllocation.manager_id == person_id, TimeAllocation.delegate_id == person_id),
        )
    ).unique()
    return sorted(rows, key=lambda a: a.enrollment.person.name)


def rollouts_of_region(region_id: int) -> list[Rollout]:
    return list(
        db.session.scalars(
            select(Rollout).where(Rollout.region_id == region_id).order_by(Rollout.slug)
        )
    )
