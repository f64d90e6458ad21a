"""Reminding managers of pending requests on business days, and escalating to the lead."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from app.approvals.emails import program_context
from app.approvals.models import DigestKind, TimeAllocation
from app.approvals.policy import region_today
from app.approvals.request_emails import (
    DigestEmail,
    digests_on,
    group_by_decider,
    open_rollouts,
    pending_allocations,
    people_by_id,
    queue_request_emails,
    rollouts_by_id,
    update_allocations,
)
from app.auth.queries import local_leads
from app.calendar import HolidayCalendar
from app.db import utcnow
from app.extensions import db
from app.mail.services import queue_email
from app.regions.models import Region

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReminderRun:
    reminded: int
    escalated: int


def _due(region: Region, allocation: TimeAllocation, today: object) -> bool:
    since = allocation.last_reminded_at or allocation.request_sent_at
    if since is None:
        return False
    start = since.astimezone(ZoneInfo(region.time_zone)).date()
    return (
        HolidayCalendar.of(region).business_days_between(start, today)  # type: ignore[arg-type]
        >= region.reminder_cadence_days
    )


def send_due_reminders(*, region: Region, now: datetime | None = None) -> ReminderRun:
    """Remind managers whose requests waited the region's cadence in business days.

    Runs only on business days. Each recipient gets one reminder per rollout
    listing all their pending reports; each due allocation counts one reminder.
    An allocation already reminded ``escalate_after_reminders`` times is escalated
    instead: the local leads get one email per rollout naming the manager and the
    manager's manager, and reminders for it stop (the lead follows up; "resend"
    remains). Run it daily at 09:00 region time.
    """
    now = now or utcnow()
    today = region_today(region, now)
    if not HolidayCalendar.of(region).is_business_day(today):
        return ReminderRun(0, 0)
    rollouts = rollouts_by_id(region)
    pending = pending_allocations(
        region=region,
        extra=[
            TimeAllocation.request_sent_at.is_not(None),
            TimeAllocation.escalated_at.is_(None),
            *open_rollouts(rollouts.values(), now),
        ],
    )
    due = [a for a in pending if _due(region, a, today)]
    if not due:
        return ReminderRun(0, 0)
    to_escalate = [a for a in due if a.reminders_sent >= region.escalate_after_reminders]
    escalating = {a.id for a in to_escalate}
    to_remind = [a for a in due if a.id not in escalating]
    reminded = _remind(region, pending, to_remind, rollouts, today, now)
    escalated = _escalate(region, to_escalate, rollouts, today, now)
    db.session.flush()
    log.info(
        "approval reminders for %s: %s reminded, %s escalated", region.code, reminded, escalated
    )
    return ReminderRun(reminded, escalated)


def _remind(
    region: Region,
    pending: list[TimeAllocation],
    to_remind: list[TimeAllocation],
    rollouts: dict,
    today: object,
    now: datetime,
) -> int:
    due_groups = group_by_decider(to_remind)
    if not due_groups:
        return 0
    all_groups = group_by_decider(a for a in pending if a.escalated_at is None)
    already = digests_on(region, today, DigestKind.REMINDER)
    people = people_by_id(m for m, _ in due_groups)
    batch = [
        DigestEmail(recipient=people[key[0]], rollout=rollouts[key[1]], allocations=all_groups[key])
        for key in sorted(due_groups)
        if key not in already
    ]
    if not batch:
        return 0
    queue_request_emails(region=region, kind=DigestKind.REMINDER, day=today, emails=batch)
    due_ids = {a.id for a in to_remind}
    listed = [a for e in batch for a in e.allocations]
    # every report listed restarts its clock; only the due ones count a reminder
    update_allocations(
        [
            {
                "id": a.id,
                "last_reminded_at": now,
                "reminders_sent": a.reminders_sent + (1 if a.id in due_ids else 0),
            }
            for a in listed
        ],
        {a.id: a for a in listed},
    )
    return len(batch)


def _escalate(
    region: Region,
    allocations: list[TimeAllocation],
    rollouts: dict,
    today: object,
    now: datetime,
) -> int:
    if not allocations:
        return 0
    leads = local_leads(region.id)
    by_rollout: dict[int, list[TimeAllocation]] = defaultdict(list)
    for a in allocations:
        by_rollout[a.enrollment.rollout_id].append(a)
    people = people_by_id(a.manager_id for a in allocations)
    for rollout_id, items in sorted(by_rollout.items()):
        rollout = rollouts[rollout_id]
        per_manager: dict[int, list[TimeAllocation]] = defaultdict(list)
        for a in items:
            per_manager[a.manager_id].append(a)
        managers = []
        for manager_id, reports in sorted(per_manager.items(), key=lambda kv: people[kv[0]].name):
            manager = people[manager_id]
            managers.append(
                {
                    "name": manager.name,
                    "email": manager.email,
                    "their_manager": manager.manager.name if manager.manager else "",
                    "reports": sorted(a.enrollment.person.name for a in reports),
                    "reminders": max(a.reminders_sent for a in reports),
                }
            )
        for lead in leads:
            queue_email(
                kind="approvals/escalation",
                to_address=lead.email,
                to_name=lead.name,
                idempotency_key=f"approvals/escalation:{rollout_id}:{today}:{lead.id}",
                context={
                    **program_context(rollout, region.locale),
                    "lead_name": lead.name,
                    "managers": managers,
                },
                locale=region.locale,
                region_id=region.id,
            )
        if not leads:
            log.warning(
                "no local lead in %s to tell about %s stuck requests", region.code, len(items)
            )
    update_allocations(
        [{"id": a.id, "escalated_at": now} for a in allocations], {a.id: a for a in allocations}
    )
    return len(allocations)
