"""What the approval emails say and carry: contexts, links and the study-block invitation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app

from app.approvals.models import AllocationStatus, TimeAllocation
from app.approvals.policy import decisions_close_at
from app.ics import Attendee, InviteEvent, build_calendar
from app.links.services import make_action_url
from app.mail.services import ics_attachment
from app.people.models import Person
from app.regions.models import Region
from app.rollouts.commitment import study_slot
from app.rollouts.models import Rollout

#: the signed link's purpose; a token made for anything else is refused by the page
DECIDE_PURPOSE = "approvals.decide"


def locale_for(person: Person | None, region: Region) -> str:
    return (person.locale if person is not None and person.locale else None) or region.locale


def _date(value: date | None, locale: str) -> str:
    return "" if value is None else format_date(value, "long", locale=locale)


def decision_url(*, recipient_id: int, rollout_id: int) -> str:
    """The signed link to the decision page for this recipient's reports in one rollout."""
    return make_action_url(
        endpoint="approvals_public.decide",
        purpose=DECIDE_PURPOSE,
        person_id=recipient_id,
        object_id=rollout_id,
    )


def program_context(rollout: Rollout, locale: str) -> dict[str, Any]:
    """What a manager needs to know about the program, in their language."""
    program = rollout.program
    closes = decisions_close_at(program, rollout.region)
    return {
        "program_title": program.title,
        "program_description": program.description or "",
        "provider": program.provider,
        "course_url": program.course_url,
        "hours_per_week": _hours(program.hours_per_week),
        "sponsor_message": rollout.sponsor_message or "",
        "sponsor_names": ", ".join(s.name for s in rollout.sponsors),
        "terms": [
            {
                "title": t.title or f"{t.number}",
                "starts": _date(t.starts_on, locale),
                "ends": _date(t.ends_on, locale),
            }
            for t in program.terms
        ],
        "decide_by": _date(closes.date() if closes else None, locale),
        "region_name": rollout.region.name,
    }


def request_context(
    *,
    recipient: Person,
    rollout: Rollout,
    allocations: Iterable[TimeAllocation],
    new_ids: Iterable[int] = (),
    occasion: str,
    follow_up: bool = False,
    delegated_by: Person | None = None,
) -> dict[str, Any]:
    """The context of ``approvals/request`` (occasion: request, reminder, resend, delegation)."""
    locale = locale_for(recipient, rollout.region)
    new = set(new_ids)
    return {
        **program_context(rollout, locale),
        "occasion": occasion,
        "follow_up": follow_up,
        "manager_name": recipient.name,
        "delegated_by": delegated_by.name if delegated_by is not None else "",
        "reports": [
            {
                "name": a.enrollment.person.name,
                "new": a.id in new,
                "status": a.status.value,
                "goal": a.enrollment.goal or "",
            }
            for a in sorted(allocations, key=lambda a: a.enrollment.person.name)
        ],
        "decision_url": decision_url(recipient_id=recipient.id, rollout_id=rollout.id),
    }


def _hours(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def outcome_context(allocation: TimeAllocation, *, decider_name: str) -> dict[str, Any]:
    enrollment = allocation.enrollment
    rollout = enrollment.rollout
    locale = locale_for(enrollment.person, rollout.region)
    return {
        **program_context(rollout, locale),
        "learner_name": enrollment.person.name,
        "manager_name": decider_name,
        "status": allocation.status.value,
        "hours_requested": _hours(allocation.hours_requested),
        "hours_decided": _hours(allocation.hours_decided),
        "reason": allocation.reason or "",
        "block": study_block_text(allocation, locale)
        if allocation.status is AllocationStatus.APPROVED
        else "",
    }


def study_block_start(allocation: TimeAllocation) -> datetime:
    """The first study block: the learner's chosen weekday and time (in their zone; the
    region's default slot when they chose none) on or after the first term starts."""
    enrollment = allocation.enrollment
    rollout = enrollment.rollout
    first = rollout.program.starts_on or rollout.cohort_start
    return study_slot(enrollment).first_on_or_after(first)


def study_block_text(allocation: TimeAllocation, locale: str) -> str:
    start = study_block_start(allocation)
    return f"{format_date(start.date(), 'EEEE', locale=locale)} {start.strftime('%H:%M')}"


def study_block_ics(allocation: TimeAllocation, *, cancel: bool = False) -> Any:
    """The weekly study block as an invitation (or its cancellation), as an outbox attachment.

    At the learner's chosen slot, in their zone with its VTIMEZONE, repeating weekly until
    the program's last day; the learner attends, the manager is optional. The UID is stable per
    allocation and SEQUENCE rises with each decision, so a change updates the event.
    """
    enrollment = allocation.enrollment
    rollout = enrollment.rollout
    program = rollout.program
    starts_at = study_block_start(allocation)
    zone = starts_at.tzinfo
    last_day = program.ends_on or (rollout.cohort_start + timedelta(weeks=12))
    until = datetime.combine(last_day, time(23, 59, 59), tzinfo=zone).astimezone(ZoneInfo("UTC"))
    hours = allocation.hours_decided or allocation.hours_requested
    attendees = [Attendee(enrollment.person.email, enrollment.person.name)]
    if allocation.manager is not None:
        attendees.append(
            Attendee(allocation.manager.email, allocation.manager.name, "OPT-PARTICIPANT")
        )
    method = "CANCEL" if cancel else "REQUEST"
    sender = parseaddr(current_app.extensions["summit.settings"].mail_default_sender)
    data = build_calendar(
        [
            InviteEvent(
                uid=f"study-block-{allocation.id}@summit",
                summary=f"Study time: {program.title}",
                starts_at=starts_at,
                duration=timedelta(hours=hours),
                time_zone=str(zone),
                sequence=allocation.decision_count,
                description=(
                    f"Protected learning time for {program.title}, agreed with your manager. "
                    f"Course: {program.course_url}"
                ),
                url=program.course_url,
                rrule={"freq": "weekly", "until": until},
                attendees=tuple(attendees),
                cancelled=cancel,
            )
        ],
        organizer_email=sender[1] or "summit@localhost",
        organizer_name=sender[0] or "Summit",
        method=method,
    )
    return ics_attachment(data, method=method, filename="study-time.ics")
