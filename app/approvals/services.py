"""Manager sign-off: allocations on commit, decisions, delegation and manager changes.

Services flush and never commit; the route, job or CLI command owns the commit.
Every email goes through the outbox in the same transaction as its cause.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update

from app.approvals.emails import locale_for, outcome_context, study_block_ics
from app.approvals.models import (
    AllocationStatus,
    DigestKind,
    TimeAllocation,
)
from app.approvals.policy import can_decide, decisions_close_at, region_today
from app.approvals.request_emails import (
    DigestEmail,
    digests_on,
    pending_allocations,
    queue_request_emails,
)
from app.approvals.texts import text
from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.language import local_date
from app.mail.services import queue_email
from app.people.models import Person, normalise_email
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout

log = logging.getLogger(__name__)

MAX_HOURS_PER_WEEK = 40.0
MAX_REASON_LENGTH = 2000


class DecisionRefused(ValueError):
    """The decision cannot be taken; the message says why and what to do, for the page.

    ``key`` and ``params`` name the message in :mod:`app.approvals.texts`, so the page can
    show it in the manager's language; ``str()`` is the English text.
    """

    def __init__(self, key: str, **params: Any) -> None:

        self.key = key
        self.params = params
        super().__init__(self.in_language("en"))

    def in_language(self, lang: str) -> str:

        params = {
            k: local_date(v, "long", locale=lang) if isinstance(v, date) else v
            for k, v in self.params.items()
        }
        return text(self.key, lang, **params)


class DecisionsClosed(DecisionRefused):
    """The first term has started: decisions are final."""


def create_allocation(
    *, enrollment: Enrollment, now: datetime | None = None
) -> TimeAllocation | None:
    """Create the pending TimeAllocation of a learner who just committed.

    Asks for the program's hours per week from the learner's manager. Sends
    nothing: the next :func:`send_due_requests` run batches it into one email per
    manager and rollout. A learner without a manager (the top of the roster) gets one
    without a manager: the rollout's local lead decides it on the approvals page, and a
    roster that names a manager later moves it to them.
    """
    existing = db.session.scalars(
        select(TimeAllocation).where(TimeAllocation.enrollment_id == enrollment.id)
    ).one_or_none()
    if existing is not None:
        return existing
    manager_id = enrollment.person.manager_id
    if manager_id is None:
        log.info("enrollment %s committed without a manager: the local lead decides", enrollment.id)
    allocation = TimeAllocation(
        region_id=enrollment.region_id,
        enrollment_id=enrollment.id,
        manager_id=manager_id,
        hours_requested=enrollment.rollout.program.hours_per_week,
        requested_at=now or utcnow(),
    )
    db.session.add(allocation)
    db.session.flush()
    log.info("time allocation %s requested from manager %s", allocation.id, manager_id)
    return allocation


def ensure_open(*, region: Region, rollout: Rollout, now: datetime, pending: bool = False) -> None:
    """Raise :class:`DecisionsClosed` when no decision may be taken now: once the first
    term has started, only a ``pending`` (late) request may still be decided, until the
    program's last day ends (:func:`app.approvals.policy.can_decide`)."""
    program = rollout.program
    if can_decide(program, region, now, pending=pending):
        return
    if pending:
        raise DecisionsClosed("closed_ended", date=program.ends_on, region=region.name)
    closes = decisions_close_at(program, region)
    raise DecisionsClosed("closed", date=closes.date(), region=region.name)


def _validated(
    decision: AllocationStatus, allocation: TimeAllocation, hours: Any, reason: str | None
) -> tuple[float | None, str | None]:
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise DecisionRefused("reason_too_long", limit=MAX_REASON_LENGTH)
    if decision is AllocationStatus.DECLINED:
        if reason is None:
            raise DecisionRefused("decline_reason")
        return None, reason
    if decision is AllocationStatus.PROPOSED:
        return _hours(hours), reason
    if decision is AllocationStatus.APPROVED:
        if hours is None or str(hours).strip() == "":
            return allocation.hours_requested, None
        return _hours(hours), None
    raise DecisionRefused("choose_action")


def _hours(hours: Any) -> float:
    """Hours per week as typed (``1,5`` too): more than 0, at most 40; ``nan``, ``inf``,
    negatives and words are refused with the same message."""
    try:
        value = float(str(hours).strip().replace(",", "."))
    except (TypeError, ValueError):
        value = -1.0
    if not 0 < value <= MAX_HOURS_PER_WEEK:  # NaN compares False: refused too
        raise DecisionRefused("hours_range", limit=f"{MAX_HOURS_PER_WEEK:g}")
    return round(value, 2)


def decide(
    *,
    region: Region,
    allocation: TimeAllocation,
    decision: AllocationStatus,
    actor: Any,
    channel: str,
    hours: Any = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Record a decision (approve, decline, propose other hours) or change an earlier one.

    Refused once the first term has started (:class:`DecisionsClosed`), except the first
    decision on a request still pending then (a late one), until the program ends. Approval
    moves the enrollment to TIME_APPROVED; a later change away from approval moves
    it back to COMMITTED. Audits the decision, and emails the learner the outcome
    (with the weekly study block as an invitation on approval, its cancellation
    when an approval is withdrawn). The same decision twice changes nothing and
    returns False.
    """
    now = now or utcnow()
    enrollment = allocation.enrollment
    ensure_open(region=region, rollout=enrollment.rollout, now=now, pending=allocation.is_pending)
    if not enrollment.in_program:
        raise DecisionRefused("left_program", name=enrollment.person.name)
    new_hours, new_reason = _validated(decision, allocation, hours, reason)
    if (
        allocation.status is decision
        and allocation.hours_decided == new_hours
        and allocation.reason == new_reason
    ):
        return False
    previous = allocation.status
    allocation.status = decision
    allocation.hours_decided = new_hours
    allocation.reason = new_reason
    allocation.decided_at = now
    allocation.decided_by_id = actor.id if isinstance(actor, Person) else None
    allocation.decided_via = channel
    allocation.decision_count = (allocation.decision_count or 0) + 1
    if decision is AllocationStatus.APPROVED:
        if enrollment.state is EnrollmentState.COMMITTED:
            enrollment.transition(EnrollmentState.TIME_APPROVED, at=now)
    elif enrollment.state is EnrollmentState.TIME_APPROVED:
        enrollment.transition(EnrollmentState.COMMITTED, at=now)
    record(
        region_id=region.id,
        action=f"approval.{decision.value}",
        obj=allocation,
        actor=actor,
        channel=channel,
        data={
            "previous": previous.value,
            "hours": new_hours,
            "reason": new_reason,
            "manager_id": allocation.manager_id,
            "on_behalf_of": allocation.manager_id
            if isinstance(actor, Person) and actor.id != allocation.manager_id
            else None,
        },
    )
    attachments = []
    if decision is AllocationStatus.APPROVED:
        attachments.append(study_block_ics(allocation))
    elif previous is AllocationStatus.APPROVED:
        attachments.append(study_block_ics(allocation, cancel=True))
    learner = enrollment.person
    decider_name = (
        actor.name
        if isinstance(actor, Person) or allocation.manager is None
        else allocation.manager.name
    )
    queue_email(
        kind="approvals/outcome",
        to_address=learner.email,
        to_name=learner.name,
        idempotency_key=f"approvals/outcome:{allocation.id}:{allocation.decision_count}",
        context=outcome_context(allocation, decider_name=decider_name),
        locale=locale_for(learner, region),
        region_id=region.id,
        person_id=learner.id,
        attachments=attachments,
    )
    db.session.flush()
    log.info("allocation %s %s → %s via %s", allocation.id, previous.value, decision.value, channel)
    return True


def approve_all(
    *,
    region: Region,
    allocations: Iterable[TimeAllocation],
    actor: Any,
    channel: str,
    now: datetime | None = None,
) -> int:
    """Approve every still-pending allocation of ``allocations`` (decided ones are left as
    they are); each learner is told as in :func:`decide`. Returns how many were approved."""
    now = now or utcnow()
    allocations = list(allocations)
    if allocations:
        ensure_open(region=region, rollout=allocations[0].enrollment.rollout, now=now, pending=True)
    count = 0
    for allocation in allocations:
        if allocation.is_pending and allocation.enrollment.in_program:
            count += decide(
                region=region,
                allocation=allocation,
                decision=AllocationStatus.APPROVED,
                actor=actor,
                channel=channel,
                now=now,
            )
    return count


def delegate(
    *,
    region: Region,
    rollout: Rollout,
    from_person: Person,
    delegate_email: str,
    now: datetime | None = None,
) -> Person:
    """Hand a manager's pending requests in ``rollout`` to a colleague (while on leave).

    The colleague must be a known person of the region. Sets the delegate on each
    pending allocation the ``from_person`` decides, audits the hand-over (who to
    whom) and emails the colleague the same decision page. Returns the colleague.
    """
    now = now or utcnow()
    ensure_open(region=region, rollout=rollout, now=now, pending=True)
    email = normalise_email(delegate_email or "")
    colleague = db.session.scalars(
        select(Person).where(Person.email == email, Person.erased_at.is_(None))
    ).one_or_none()
    if colleague is None:
        raise DecisionRefused("unknown_colleague")
    if colleague.id == from_person.id:
        raise DecisionRefused("not_yourself")
    allocations = [
        a
        for a in pending_allocations(region=region, extra=[Enrollment.rollout_id == rollout.id])
        if a.decider_id == from_person.id
    ]
    if not allocations:
        raise DecisionRefused("nothing_to_hand_over")
    for a in allocations:
        a.delegate_id = colleague.id
        a.delegated_by_id = from_person.id
        a.delegated_at = now
        a.last_reminded_at = now  # the colleague gets a full reminder cadence
        record(
            region_id=region.id,
            action="approval.delegated",
            obj=a,
            actor=from_person,
            channel="link",
            data={"from_id": from_person.id, "to_id": colleague.id, "to_name": colleague.name},
        )
    today = region_today(region, now)
    if (colleague.id, rollout.id) not in digests_on(region, today, DigestKind.DELEGATION):
        queue_request_emails(
            region=region,
            kind=DigestKind.DELEGATION,
            day=today,
            emails=[
                DigestEmail(
                    recipient=colleague,
                    rollout=rollout,
                    allocations=allocations,
                    delegated_by=from_person,
                )
            ],
        )
    db.session.flush()
    log.info("%s allocations delegated by %s to %s", len(allocations), from_person.id, colleague.id)
    return colleague


def move_pending_to_manager(
    *, person: Person, old_manager_id: int | None, new_manager_id: int | None
) -> int:
    """A roster re-import changed ``person``'s manager: their pending requests move over.

    The new manager starts from scratch (no delegate, no reminders) and gets the
    request on the next :func:`send_due_requests` run. Decided allocations stay.
    Audits the move. Returns how many allocations moved.
    """
    return move_pending_to_managers([(person.id, old_manager_id, new_manager_id)])


def move_pending_to_managers(changes: Iterable[tuple[int, int | None, int | None]]) -> int:
    """:func:`move_pending_to_manager` for many people at once, by id: ``changes`` holds
    ``(person_id, old_manager_id, new_manager_id)``. One query finds the pending
    allocations of them all, one statement moves them. Returns how many moved."""
    wanted = {
        person_id: (old, new) for person_id, old, new in changes if new is not None and new != old
    }
    if not wanted:
        return 0
    moved = db.session.execute(
        select(TimeAllocation.id, Enrollment.person_id, Person.region_id)
        .join(TimeAllocation.enrollment)
        .join(Person, Person.id == Enrollment.person_id)
        .where(
            Enrollment.person_id.in_(list(wanted)),
            TimeAllocation.status == AllocationStatus.PENDING,
        )
        .order_by(TimeAllocation.id)
    ).all()
    if not moved:
        return 0
    db.session.execute(
        update(TimeAllocation),
        [
            {
                "id": allocation_id,
                "manager_id": wanted[person_id][1],
                "delegate_id": None,
                "delegated_by_id": None,
                "delegated_at": None,
                "digest_id": None,
                "request_sent_at": None,
                "reminders_sent": 0,
                "last_reminded_at": None,
                "escalated_at": None,
            }
            for allocation_id, person_id, _region_id in moved
        ],
    )
    # the bulk statement leaves loaded allocations as they were: reload them on next use
    for allocation_id, _person_id, _region_id in moved:
        loaded = db.session.identity_map.get(
            db.session.identity_key(TimeAllocation, (allocation_id,))
        )
        if loaded is not None:
            db.session.expire(loaded)
    for allocation_id, person_id, region_id in moved:
        old, new = wanted[person_id]
        record(
            region_id=region_id,
            action="approval.manager_changed",
            object_type="time_allocation",
            object_id=allocation_id,
            channel="job",
            data={"old_manager_id": old, "new_manager_id": new},
        )
    db.session.flush()
    log.info(
        "moved %s pending allocations of %s people to their new managers",
        len(moved),
        len({person_id for _a, person_id, _r in moved}),
    )
    return len(moved)
