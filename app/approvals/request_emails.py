"""Request emails to managers: the daily digest per manager and rollout, the lead's resend,
and the building blocks reminders share (pending reports grouped per decider and rollout,
the digest rows that guard each email against being sent twice)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app.approvals.emails import (
    DECIDE_PURPOSE,
    Report,
    RequestFrame,
    frame_context,
    lead_contacts,
    locale_for,
    request_context,
    request_frame,
)
from app.approvals.models import AllocationStatus, ApprovalDigest, DigestKind, TimeAllocation
from app.approvals.policy import decisions_open, region_today
from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.language import babel_locale, reader_locale
from app.links.services import token_maker, url_with_token
from app.mail.rendering import render_email
from app.mail.services import (
    checked_address,
    display_name,
    insert_outbox,
    message_id_for,
    queue_email,
)
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


#: deciders per page of the request run: each page costs a fixed number of statements
PAGE = 500


def send_due_requests(*, region: Region, now: datetime | None = None, page_size: int = PAGE) -> int:
    """Email each manager (or delegate) whose reports committed since their last request.

    One email per recipient and rollout listing all their pending reports (the new
    ones marked); a recipient already asked today for that rollout waits until
    tomorrow, so later commitments are batched into one follow-up a day. Marks the
    listed new allocations as requested. Returns the number of emails queued.
    Run it hourly per region (it sends at most one request per manager a day).

    Set-based and streaming: the deciders with a report not yet asked about are read in
    keyset pages of ``page_size``; a page costs a fixed number of statements (its
    deciders, their pending reports, their earlier requests, the recipients, one INSERT of
    digests, one of outbox rows, one UPDATE of the reports), whatever the number of
    reports, and only one page is held in memory. Rollouts and the region's local leads
    are read once a run, each email's language frame rendered once. Flushes.
    """
    now = now or utcnow()
    today = region_today(region, now)
    rollouts = rollouts_by_id(region)
    is_open = open_rollouts(rollouts.values(), now)
    run = _RequestRun(region=region, rollouts=rollouts, today=today, now=now)
    after: int | None = None
    queued = 0
    while True:
        deciders = _deciders_with_new(region, is_open, after=after, limit=page_size)
        if not deciders:
            break
        after = deciders[-1]
        queued += run.page(deciders, is_open)
        if len(deciders) < page_size:
            break
    log.info("approval requests for region %s: %s emails", region.code, queued)
    return queued


_decider = func.coalesce(TimeAllocation.delegate_id, TimeAllocation.manager_id)


def _deciders_with_new(
    region: Region, is_open: list[Any], *, after: int | None, limit: int
) -> list[int]:
    """The next page of deciders (by id) with a pending report not yet asked about."""
    stmt = (
        select(_decider)
        .join(TimeAllocation.enrollment)
        .where(
            TimeAllocation.region_id == region.id,
            TimeAllocation.status == AllocationStatus.PENDING,
            TimeAllocation.digest_id.is_(None),
            Enrollment.state == EnrollmentState.COMMITTED,
            # no manager: the local lead decides on the approvals page, nobody is emailed
            _decider.is_not(None),
            *is_open,
        )
        .distinct()
        .order_by(_decider)
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(_decider > after)
    return list(db.session.scalars(stmt))


@dataclass
class _RequestRun:
    """What a request run reads once (rollouts, leads, each language's frame, the link
    signer) and the work of one page of deciders."""

    region: Region
    rollouts: dict[int, Rollout]
    today: Any
    now: datetime
    frames: dict[tuple[int, str], RequestFrame] = field(default_factory=dict)
    #: read on the run's first email (none when nobody is due)
    leads: list[dict[str, str]] | None = None
    token: Callable[[int, int], str] | None = None
    url: Callable[[str], str] | None = None

    def decision_url(self, recipient_id: int, rollout_id: int) -> str:
        """:func:`app.approvals.emails.decision_url`, its signer and URL built once a run."""
        if self.token is None or self.url is None:
            self.token = token_maker(DECIDE_PURPOSE)
            self.url = url_with_token("approvals_public.decide")
        return self.url(self.token(recipient_id, rollout_id))

    def frame(self, rollout_id: int, locale: str) -> RequestFrame:
        if self.leads is None:
            self.leads = lead_contacts(self.region.id)
        key = (rollout_id, locale)
        if key not in self.frames:
            self.frames[key] = request_frame(self.rollouts[rollout_id], locale, leads=self.leads)
        return self.frames[key]

    def page(self, deciders: list[int], is_open: list[Any]) -> int:
        region, today = self.region, self.today
        groups: dict[tuple[int, int], list[tuple[Report, bool]]] = defaultdict(list)
        for row in db.session.execute(
            select(
                TimeAllocation.id,
                _decider.label("decider"),
                Enrollment.rollout_id,
                TimeAllocation.status,
                TimeAllocation.digest_id,
                Person.name,
                Enrollment.goal,
            )
            .join(TimeAllocation.enrollment)
            .join(Person, Person.id == Enrollment.person_id)
            .where(
                TimeAllocation.region_id == region.id,
                TimeAllocation.status == AllocationStatus.PENDING,
                Enrollment.state == EnrollmentState.COMMITTED,
                _decider.in_(deciders),
                *is_open,
            )
            .order_by(TimeAllocation.id)
        ):
            groups[(row.decider, row.rollout_id)].append(
                (Report(row.id, row.name, row.status, row.goal or ""), row.digest_id is None)
            )
        # the request digests these recipients ever had: today's (wait until tomorrow) and
        # earlier ones (this is a follow-up)
        sent_today: set[tuple[int, int]] = set()
        asked_before: set[tuple[int, int]] = set()
        for m, r, day in db.session.execute(
            select(ApprovalDigest.manager_id, ApprovalDigest.rollout_id, ApprovalDigest.day)
            .where(
                ApprovalDigest.region_id == region.id,
                ApprovalDigest.kind == DigestKind.REQUEST,
                ApprovalDigest.manager_id.in_(deciders),
            )
            .distinct()
        ):
            asked_before.add((m, r))
            if day == today:
                sent_today.add((m, r))
        due = sorted(
            key
            for key, items in groups.items()
            if key not in sent_today and any(new for _, new in items)
        )
        if not due:
            return 0
        people = {
            p.id: p
            for p in db.session.execute(
                select(Person.id, Person.name, Person.email, Person.locale).where(
                    Person.id.in_({m for m, _ in due})
                )
            )
        }
        # digests first (one multi-row INSERT: the unique key refuses a second run's), then
        # the emails (one multi-row INSERT), then the reports they listed (one executemany)
        digest_ids = {
            (m, r): digest_id
            for digest_id, m, r in db.session.execute(
                insert(ApprovalDigest).returning(
                    ApprovalDigest.id, ApprovalDigest.manager_id, ApprovalDigest.rollout_id
                ),
                [
                    {
                        "region_id": region.id,
                        "rollout_id": r,
                        "manager_id": m,
                        "day": today,
                        "kind": DigestKind.REQUEST,
                        "follow_up": (m, r) in asked_before,
                        "report_count": len(groups[(m, r)]),
                    }
                    for m, r in due
                ],
            )
        }
        outbox = []
        for m, r in due:
            person = people[m]
            locale = reader_locale(person.locale, region.locale)
            frame = self.frame(r, locale)
            items = groups[(m, r)]
            key = f"approvals/{DigestKind.REQUEST.value}:{m}:{r}:{today.isoformat()}"
            rendered = render_email(
                "approvals/request",
                locale=locale,
                time_zone=region.time_zone,
                context=frame_context(
                    frame,
                    recipient_name=person.name,
                    reports=[report for report, _ in items],
                    new_ids=[report.id for report, new in items if new],
                    occasion="request",
                    follow_up=(m, r) in asked_before,
                    decision_url=self.decision_url(m, r),
                ),
            )
            outbox.append(
                {
                    "idempotency_key": key,
                    "kind": "approvals/request",
                    "region_id": region.id,
                    "person_id": m,
                    "to_address": checked_address(person.email),
                    "to_name": display_name(person.name),
                    "subject": display_name(rendered.subject),
                    "text_body": rendered.text,
                    "html_body": rendered.html,
                    "message_id": message_id_for(key),
                    "locale": babel_locale(locale),
                }
            )
        # the same key twice queues nothing new (as queue_email: the existing row stays)
        insert_outbox(outbox)
        written = [
            {"id": report.id, "digest_id": digest_ids[key], "request_sent_at": self.now}
            for key in due
            for report, new in groups[key]
            if new
        ]
        db.session.execute(update(TimeAllocation), written)
        # allocations the session already holds (a caller's) read what was written
        for row in written:
            obj = db.session.identity_map.get(identity_key(TimeAllocation, row["id"]))
            if obj is not None:
                set_committed_value(obj, "digest_id", row["digest_id"])
                set_committed_value(obj, "request_sent_at", row["request_sent_at"])
        return len(due)


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
