"""What the approval emails say and carry: contexts, links and the study-block invitation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.lists import format_list
from flask import current_app

from app.approvals.models import AllocationStatus, TimeAllocation
from app.approvals.policy import decide_by, region_today, weeks_left
from app.auth.queries import local_leads
from app.db import utcnow
from app.ics import Attendee, InviteEvent, build_calendar
from app.language import babel_locale, person_locale
from app.links.services import make_action_url
from app.mail.services import ics_attachment
from app.people.models import Person
from app.regions.models import Region
from app.rollouts.commitment import study_slot
from app.rollouts.models import Rollout

#: the signed link's purpose; a token made for anything else is refused by the page
DECIDE_PURPOSE = "approvals.decide"
#: the request email names the people asking up to this many, else gives their number
MAX_NAMES = 4


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def locale_for(person: Person | None, region: Region) -> str:
    return person_locale(person, region)


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
        # changes stay possible until the eve of the first term (the ask names an earlier day)
        "decide_by": _date(
            program.starts_on - timedelta(days=1) if program.starts_on else None, locale
        ),
        "region_name": rollout.region.name,
    }


@dataclass(frozen=True)
class Report:
    """One report as a request email lists it (plain values: a run reads them in pages)."""

    id: int
    name: str
    status: AllocationStatus
    goal: str


def report_of(allocation: TimeAllocation) -> Report:
    enrollment = allocation.enrollment
    return Report(allocation.id, enrollment.person.name, allocation.status, enrollment.goal or "")


@dataclass(frozen=True)
class RequestFrame:
    """What every request email of one rollout shares in one language: the program (its
    dates in that language), the ask's figures and deadline, the region's local leads."""

    locale: str
    program: dict[str, Any]
    hours: float
    weeks: int | None
    deadline: date | None
    leads: tuple[dict[str, str], ...]


def request_frame(
    rollout: Rollout, locale: str, *, leads: Iterable[dict[str, str]] | None = None
) -> RequestFrame:
    """The :class:`RequestFrame` of ``rollout`` in ``locale``; pass ``leads`` (of
    :func:`lead_contacts`) to read the region's local leads once for many frames."""
    program = rollout.program
    today = region_today(rollout.region, utcnow())
    deadline = decide_by(program, rollout.region)
    return RequestFrame(
        locale=locale,
        program=program_context(rollout, locale),
        hours=program.hours_per_week,
        weeks=weeks_left(program, today),
        deadline=deadline if deadline is not None and deadline >= today else None,
        leads=tuple(leads if leads is not None else lead_contacts(rollout.region_id)),
    )


def lead_contacts(region_id: int) -> list[dict[str, str]]:
    """The region's local leads as the request email's footer names them."""
    return [{"name": u.name, "email": u.email} for u in local_leads(region_id)]


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
    """The context of ``approvals/request`` (occasion: request, reminder, resend, delegation).

    Besides the program and the reports: the ask in figures for the one-sentence summary
    (who is pending, hours a week, weeks, total a person and a week for the team), the
    decision deadline (a date; the day before the first term, none once it started), and
    the region's local leads for the footer.
    """
    return frame_context(
        request_frame(rollout, locale_for(recipient, rollout.region)),
        recipient_name=recipient.name,
        reports=[report_of(a) for a in allocations],
        new_ids=new_ids,
        occasion=occasion,
        follow_up=follow_up,
        delegated_by=delegated_by.name if delegated_by is not None else "",
        decision_url=decision_url(recipient_id=recipient.id, rollout_id=rollout.id),
    )


def frame_context(
    frame: RequestFrame,
    *,
    recipient_name: str,
    reports: Iterable[Report],
    new_ids: Iterable[int] = (),
    occasion: str,
    follow_up: bool = False,
    delegated_by: str = "",
    decision_url: str,
) -> dict[str, Any]:
    """:func:`request_context` from a frame and plain values (no query)."""
    new = set(new_ids)
    reports = sorted(reports, key=lambda r: r.name)
    pending = [r.name for r in reports if r.status is AllocationStatus.PENDING]
    hours, weeks = frame.hours, frame.weeks
    return {
        **frame.program,
        "occasion": occasion,
        "follow_up": follow_up,
        "manager_name": recipient_name,
        "delegated_by": delegated_by,
        "reports": [
            {"name": r.name, "new": r.id in new, "status": r.status.value, "goal": r.goal}
            for r in reports
        ],
        "ask": {
            "count": len(pending),
            # names while they fit in a sentence, else the count alone
            "who": format_list(pending, locale=babel_locale(frame.locale))
            if 0 < len(pending) <= MAX_NAMES
            else "",
            "hours": hours,
            "weeks": weeks,
            "per_person": hours * weeks if weeks else None,
            "team_per_week": hours * len(pending),
            "deadline": frame.deadline,
        },
        "leads": [dict(lead) for lead in frame.leads],
        "decision_url": decision_url,
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
    region's default slot when they chose none) on or after the first term starts, or on or
    after the decision day for a late approval (study time from that week on)."""
    enrollment = allocation.enrollment
    rollout = enrollment.rollout
    first = rollout.program.starts_on or rollout.cohort_start
    if allocation.decided_at is not None:
        first = max(first, region_today(rollout.region, _utc(allocation.decided_at)))
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
