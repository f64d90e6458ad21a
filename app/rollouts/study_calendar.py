"""The learner's weekly study time as a calendar file to add (the commit page offers it
once they have committed): their slot, in their zone with its VTIMEZONE, weekly until the
program's last day."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from flask import current_app

from app.ics import InviteEvent, build_calendar
from app.language import translate
from app.rollouts.commitment import study_slot
from app.rollouts.models import Enrollment


def study_time_calendar(enrollment: Enrollment, lang: str) -> bytes:
    """An iCalendar file (METHOD:PUBLISH) with one weekly event at the learner's slot."""
    rollout = enrollment.rollout
    program = rollout.program
    slot = study_slot(enrollment)
    first = program.starts_on or rollout.cohort_start
    starts_at = slot.first_on_or_after(first)
    last_day = program.ends_on or (rollout.cohort_start + timedelta(weeks=12))
    until = datetime.combine(last_day, time(23, 59, 59), tzinfo=ZoneInfo(slot.zone))
    sender = parseaddr(current_app.extensions["summit.settings"].mail_default_sender)
    event = InviteEvent(
        uid=f"study-time-{enrollment.id}@summit",
        summary=translate("Study time: %(program)s", lang, program=program.title),
        starts_at=starts_at,
        duration=timedelta(hours=program.hours_per_week or 1),
        time_zone=slot.zone,
        description=translate(
            "Your weekly time for %(program)s. Course: %(url)s",
            lang,
            program=program.title,
            url=program.course_url,
        ),
        url=program.course_url,
        rrule={"freq": "weekly", "until": until.astimezone(ZoneInfo("UTC"))},
    )
    return build_calendar(
        [event],
        organizer_email=sender[1] or "summit@localhost",
        organizer_name=sender[0] or "Summit",
        method="PUBLISH",
    )
