"""Request emails to managers: the daily digest per manager and rollout, the lead's resend,
and the building blocks reminders share (pending reports grouped per decider and rollout,
the digest rows that guard each email against being sent twice)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from app.approvals.emails import locale_for, request_context
from app.approvals.models import AllocationStatus, ApprovalDigest, DigestKind, TimeAllocation
from app.approvals.policy import decisions_open, region_today
from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.mail.services import queue_email
from app.people.models import Person
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout

log = logging.getLogger(__name__)


def pending_allocations(*, region: Region, extra: Iterable[Any] = ()) -> list[TimeAllocation]:
    """Pending allocations of learners still committed in ``region``, with their people loaded."""
    stmt = (
        select(TimeAllocation)
        .join(TimeAllocation.enrollment)
        .options(contains_eager(TimeAllocation.enrollment))
        .where(
            TimeAllocation.region_id == region.id,
            TimeAllocation.status == AllocationStatus.PENDING,
            Enrollment.state == EnrollmentState.COMMITTED,
            *extra,
        )
        .order_by(TimeAllocation.id)
    )
    return list(db.session.scalars(stmt).unique())


def open_rollouts(rollouts: Iterable[Rollout], now: datetime) -> list[Any]:
    """A filter for :func:`pending_allocations`: rollouts whose decisions are still open
    (nobody is asked or reminded once the first term has started)."""
    ids = [r.id for r in rollouts if decisions_open(r.program, r.region, now)]
    return [Enrollment.rollout_id.in_(ids)]


def group_by_decider(
    allocations: Iterable[TimeAllocation],
) -> dict[tuple[int, int], list[TimeAllocation]]:
    groups: dict[tuple[int, int], list[TimeAllocation]] = defaultdict(list)
    for a in allocations:
        groups[(a.decider_id, a.enrollment.rollout_id)].append(a)
    return groups


def digests_on(region: Region, day: Any, kind: DigestKind) -> set[tuple[int, int]]:
    rows = db.session.execute(
        select(ApprovalDigest.manager_id, ApprovalDigest.rollout_id).where(
            ApprovalDigest.region_id == region.id,
            ApprovalDigest.day == day,
            ApprovalDigest.kind == kind,
        )
    )
    return {(m, r) for m, r in rows}


def people_by_id(ids: Iterable[int]) -> dict[int, Person]:
    ids = set(ids)
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))}


def rollouts_by_id(region: Region) -> dict[int, Rollout]:
    return {
        r.id: r for r in db.session.scalars(select(Rollout).where(Rollout.region_id == region.id))
    }


@dataclass(frozen=True)
class DigestEmail:
    """One request-style email to send: who, about which rollout, listing which reports."""

    recipient: Person
    rollout: Rollout
    allocations: list[TimeAllocation]
    new_ids: tuple[int, ...] = ()
    follow_up: bool = False
    delegated_by: Person | None = None


def queue_request_emails(
    *, region: Region, kind: DigestKind, day: Any, emails: list[DigestEmail]
) -> list[ApprovalDigest]:
    """Record one digest per email (unique per recipient, rollout, day and kind), in one
    flush that fails before any email if one was already sent, then queue the emails."""
    digests = [
        ApprovalDigest(
            region_id=region.id,
            rollout_id=e.rollout.id,
            manager_id=e.recipient.id,
            day=day,
            kind=kind,
            follow_up=e.follow_up,
            report_count=len(e.allocations),
        )
        for e in emails
    ]
    db.session.add_all(digests)
    db.session.flush()
    for e in emails:
        queue_email(
            kind="approvals/request",
            to_address=e.recipient.email,
            to_name=e.recipient.name,
            idempotency_key=(
                f"approvals/{kind.value}:{e.recipient.id}:{e.rollout.id}:{day.isoformat()}"
            ),
            context=request_context(
                recipient=e.recipient,
                rollout=e.rollout,
                allocations=e.allocations,
                new_ids=e.new_ids,
                occasion="request" if kind is DigestKind.REQUEST else kind.value,
                follow_up=e.follow_up,
                delegated_by=e.delegated_by,
            ),
            locale=locale_for(e.recipient, region),
            region_id=region.id,
            person_id=e.recipient.id,
        )
    return digests


def update_allocations(rows: list[dict[str, Any]], objects: dict[int, TimeAllocation]) -> None:
    """Write per-allocation values in one executemany, and keep the loaded objects in step."""
    if not rows:
        return
    db.session.execute(update(TimeAllocation), rows)
    for row in rows:
        obj = objects.get(row["id"])
        if obj is not None:
            for key, value in row.items():
                if key != "id":
                    set_committed_value(obj, key, value)


def send_due_requests(*, region: Region, now: datetime | None = None) -> int:
    """Email each manager (or delegate) whose reports committed since their last request.

    One email per recipient and rollout listing all their pending reports (the new
    ones marked); a recipient already asked today for that rollout waits until
    tomorrow, so later commitments are batched into one follow-up a day. Marks the
    listed new allocations as requested. Returns the number of emails queued.
    Run it hourly per region (it sends at most one request per manager a day).
    """
    now = now or utcnow()
    today = region_today(region, now)
    rollouts = rollouts_by_id(region)
    is_open = open_rollouts(rollouts.values(), now)
    decider = func.coalesce(TimeAllocation.delegate_id, TimeAllocation.manager_id)
    # only the deciders with a report not yet asked about: usually none, and cheap to tell
    with_new = (
        select(decider)
        .join(TimeAllocation.enrollment)
        .where(
            TimeAllocation.region_id == region.id,
            TimeAllocation.status == AllocationStatus.PENDING,
            TimeAllocation.digest_id.is_(None),
            Enrollment.state == EnrollmentState.COMMITTED,
            # no manager: the local lead decides on the approvals page, nobody is emailed
            decider.is_not(None),
            *is_open,
        )
        .distinct()
    )
    deciders = list(db.session.scalars(with_new))
    if not deciders:
        return 0
    pending = pending_allocations(region=region, extra=[*is_open, decider.in_(deciders)])
    groups = {
        key: items
        for key, items in group_by_decider(pending).items()
        if any(a.digest_id is None for a in items)
    }
    if not groups:
        return 0
    sent_today = digests_on(region, today, DigestKind.REQUEST)
    asked_before = {
        (m, r)
        for m, r in db.session.execute(
            select(ApprovalDigest.manager_id, ApprovalDigest.rollout_id)
            .where(
                ApprovalDigest.region_id == region.id,
                ApprovalDigest.kind == DigestKind.REQUEST,
            )
            .distinct()
        )
    }
    people = people_by_id(m for m, _ in groups)
    batch = [
        DigestEmail(
            recipient=people[recipient_id],
            rollout=rollouts[rollout_id],
            allocations=items,
            new_ids=tuple(a.id for a in items if a.digest_id is None),
            follow_up=(recipient_id, rollout_id) in asked_before,
        )
        for (recipient_id, rollout_id), items in sorted(groups.items())
        if (recipient_id, rollout_id) not in sent_today
    ]
    if not batch:
        return 0
    # digests first (one flush: the unique key refuses a second run's), then the emails,
    # then the reports they listed (one executemany)
    queued = len(batch)
    digests = queue_request_emails(region=region, kind=DigestKind.REQUEST, day=today, emails=batch)
    by_id = {a.id: a for e in batch for a in e.allocations}
    update_allocations(
        [
            {"id": allocation_id, "digest_id": digest.id, "request_sent_at": now}
            for e, digest in zip(batch, digests, strict=True)
            for allocation_id in e.new_ids
        ],
        by_id,
    )
    db.session.flush()
    log.info("approval requests for region %s: %s emails", region.code, queued)
    return queued


def resend_request(
    *,
    region: Region,
    rollout: Rollout,
    recipient_id: int,
    actor: Any,
    channel: str = "web",
    now: datetime | None = None,
) -> bool:
    """Email a manager (or delegate) their pending requests again with a fresh link, at most
    once a day (a lead's "resend", or the manager's own request from an expired link).

    Audits the resend. Returns False when nothing is pending, nothing pending was ever
    sent (the daily digest sends it first: a "resend" of a request never sent is none),
    or it was resent today.
    """
    now = now or utcnow()
    today = region_today(region, now)
    allocations = [
        a
        for a in pending_allocations(region=region, extra=[Enrollment.rollout_id == rollout.id])
        if a.decider_id == recipient_id
    ]
    if not any(a.request_sent_at for a in allocations) or (recipient_id, rollout.id) in digests_on(
        region, today, DigestKind.RESEND
    ):
        return False
    recipient = db.session.get(Person, recipient_id)
    if recipient is None:
        return False
    queue_request_emails(
        region=region,
        kind=DigestKind.RESEND,
        day=today,
        emails=[DigestEmail(recipient=recipient, rollout=rollout, allocations=allocations)],
    )
    for a in allocations:
        if a.request_sent_at is None:
            a.request_sent_at = now
    record(
        region_id=region.id,
        action="approval.resent",
        object_type="person",
        object_id=recipient_id,
        actor=actor,
        channel=channel,
        data={"rollout_id": rollout.id, "reports": len(allocations)},
    )
    db.session.flush()
    return True
