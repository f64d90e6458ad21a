"""Building a rollout with hosts and learners for the call tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage

from icalendar import Calendar

from app.auth.models import Role
from app.rollouts.models import EnrollmentState, RolloutStatus
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region, staff

APPROVED = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def make_rollout(code: str = "de", *, weekday: int = 3, at: time = time(16, 0), **kwargs):
    reg = region(code)
    expert = staff(Role.EXPERT, code, name=f"Expert {code}", email=f"expert.{code}@example.com")
    hr = staff(Role.HR_PARTNER, code, name=f"HR {code}", email=f"hr.{code}@example.com")
    kwargs.setdefault("call_join_url", f"https://meet.example.com/{code}")
    return RolloutFactory(
        region_id=reg.id,
        status=RolloutStatus.LAUNCHED,
        call_weekday=weekday,
        call_time=at,
        expert_id=expert.id,
        hr_partner_id=hr.id,
        **kwargs,
    )


def learner(rollout, state=EnrollmentState.ACTIVE, **person):
    approved = state in (EnrollmentState.TIME_APPROVED, EnrollmentState.ACTIVE)
    return EnrollmentFactory(
        rollout=rollout,
        person=PersonFactory(region_id=rollout.region_id, **person),
        state=state,
        time_approved_at=APPROVED if approved else None,
    )


def calendars(msg: EmailMessage) -> dict[str, Calendar]:
    """The message's calendar attachments by METHOD."""
    found = {}
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            cal = Calendar.from_ical(part.get_payload(decode=True))
            found[str(cal["method"])] = cal
    return found


def expand(cal: Calendar) -> list[tuple[datetime, datetime]]:
    """The (start, end) instants in UTC a calendar client shows for ``cal``: the series
    expanded by ``recurring_ical_events`` (RRULE, EXDATE, overrides by RECURRENCE-ID)."""
    import recurring_ical_events

    found = recurring_ical_events.of(cal).between(datetime(2000, 1, 1), datetime(2100, 1, 1))
    return sorted(
        (e.decoded("dtstart").astimezone(UTC), e.decoded("dtend").astimezone(UTC)) for e in found
    )


def held(sessions) -> list[tuple[datetime, datetime]]:
    """The scheduled sessions as (start, end) instants in UTC, what ``expand`` must give."""
    return sorted(
        (s.starts_at, s.starts_at + timedelta(minutes=s.duration_minutes))
        for s in sessions
        if not s.cancelled
    )


def text_of(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def first_link(msg: EmailMessage) -> str:
    return re.search(r"http://summit\.test(/\S+)", text_of(msg)).group(1)


def sign_in(login_as, user):
    """``login_as``, forgetting the CSRF token cached in ``g`` (the test's app context
    outlives requests, so Flask-WTF would hand out the previous session's token)."""
    from flask import g

    g.pop("csrf_token", None)
    return login_as(user)
