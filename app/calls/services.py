"""The call series and the due work: generating sessions, asking for questions, agendas.

Services flush; the caller commits. See ``changes.py`` for moving and cancelling,
``invitations.py`` for who is invited, ``attendance.py`` and ``questions.py``.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.audit.services import record
from app.calendar import HolidayCalendar
from app.calls import emails, queries
from app.calls.invitations import active_invitations, invite_attendees
from app.calls.meetings import ensure_join_url
from app.calls.models import CallQuestion, CallSession, CallStatus
from app.calls.planning import PlannedSession, local_instant, plan_series, region_shutdowns
from app.extensions import db
from app.links.services import absolute_url, make_action_url
from app.regions.models import Region
from app.rollouts.models import Rollout, RolloutStatus

log = logging.getLogger(__name__)

QUESTION_PURPOSE = "calls.question"
#: held calls missed in a row after which a learner counts as at risk
MISSED_CALLS_AT_RISK = 3
#: local time the question prompts (two business days ahead) and the agenda go out
PROMPT_AT = time(9, 0)
AGENDA_AT = time(7, 0)


def plan_for(rollout: Rollout, start: date) -> list[PlannedSession]:
    """The rollout's sessions from ``start`` to program end, per its slot and region."""
    region = rollout.region
    end = rollout.program.ends_on
    if end is None:
        return []
    return plan_series(
        start=start,
        end=end,
        weekday=rollout.call_weekday,
        at=rollout.call_time,
        zone=region.time_zone,
        country=region.holiday_country,
        subdivision=region.holiday_subdivision,
        on_holiday=region.call_on_holiday,
        shutdowns=region_shutdowns(region),
    )


def sessions_of(rollout_id: int) -> list[CallSession]:
    return list(
        db.session.scalars(
            select(CallSession)
            .where(CallSession.rollout_id == rollout_id)
            .order_by(CallSession.series_date)
        )
    )


def generate_series(
    *, region: Region, rollout: Rollout, actor: object = None, notify: bool = True
) -> list[CallSession]:
    """Create the rollout's sessions from cohort start to program end (missing ones only).

    Holidays are applied per the region file. A rollout without a join URL gets a Teams
    meeting when Teams is configured (``meetings.ensure_join_url``; raises
    MeetingUnavailable when Graph refuses). Then invites the hosts and every active
    learner not yet invited (``notify=False`` records them without email).
    Returns the sessions created.
    """
    existing = {s.series_date for s in sessions_of(rollout.id)}
    missing = [p for p in plan_for(rollout, rollout.cohort_start) if p.series_date not in existing]
    url = ensure_join_url(rollout=rollout, planned=missing, actor=actor)
    created = []
    for planned in missing:
        session = CallSession(
            region_id=region.id,
            rollout_id=rollout.id,
            series_date=planned.series_date,
            starts_at=planned.starts_at,
            duration_minutes=rollout.call_duration_minutes,
            status=CallStatus.CANCELLED if planned.cancelled else CallStatus.SCHEDULED,
            join_url=url,
            change_note=planned.note,
        )
        db.session.add(session)
        created.append(session)
    db.session.flush()
    if created:
        record(
            region_id=region.id,
            action="calls.series_generated",
            obj=rollout,
            actor=actor,
            channel="web" if actor else "system",
            data={"sessions": len(created)},
        )
    invite_attendees(region=region, rollout=rollout, notify=notify)
    return created


def learners_missing_calls(
    *, rollout_id: int, now: datetime, in_a_row: int = MISSED_CALLS_AT_RISK
) -> set[int]:
    """Enrollment ids of the rollout's learners who missed ``in_a_row`` or more held calls
    since they last attended one (the terms capability nudges them). One query; reads only."""
    return set(queries.missed_calls_in_a_row(rollout_id=rollout_id, now=now, at_least=in_a_row))


def _launched_rollouts(region: Region) -> list[Rollout]:
    return list(
        db.session.scalars(
            select(Rollout).where(
                Rollout.region_id == region.id, Rollout.status == RolloutStatus.LAUNCHED
            )
        )
    )


def sync_invitations(*, region: Region, now: datetime) -> int:
    """Due work (hourly): invite learners who became active, withdraw those who left."""
    total = 0
    for rollout in _launched_rollouts(region):
        if not db.session.scalar(
            select(CallSession.id).where(CallSession.rollout_id == rollout.id)
        ):
            continue
        invited, withdrawn = invite_attendees(region=region, rollout=rollout, now=now)
        total += invited + withdrawn
    return total


def _sessions_soon(region: Region, now: datetime, days: int) -> list[CallSession]:
    return list(
        db.session.scalars(
            select(CallSession)
            .where(
                CallSession.region_id == region.id,
                CallSession.status == CallStatus.SCHEDULED,
                CallSession.starts_at > now,
                CallSession.starts_at <= now + timedelta(days=days),
            )
            .order_by(CallSession.starts_at)
        )
    )


def prompt_due_at(session: CallSession, region: Region) -> datetime:
    """09:00 local, two business days before the session's local date."""
    zone = ZoneInfo(region.time_zone)
    local_day = session.starts_at.astimezone(zone).date()
    day = HolidayCalendar.of(region).business_days_before(local_day, 2)
    return local_instant(day, PROMPT_AT, region.time_zone)


def send_question_prompts(*, region: Region, now: datetime) -> int:
    """Due work (hourly, or at least at 09:00 region time on business days).

    Two business days before each session, every invited learner gets a signed
    link to say what they want to discuss or where they are stuck. Marks the
    session ``prompts_sent_at``; the outbox key (session, person, kind) makes a
    rerun send nothing twice. Returns the number of emails queued.
    """
    n = 0
    for session in _sessions_soon(region, now, days=10):
        if session.prompts_sent_at is not None or now < prompt_due_at(session, region):
            continue
        rollout = session.rollout
        for inv in active_invitations(rollout.id):
            if inv.person_id is None:
                continue
            url = question_url(session, inv.person_id)
            emails.send_to_invitee(
                kind="calls/question_prompt",
                key=f"calls/question_prompt/{session.id}/{inv.person_id}",
                rollout=rollout,
                invitee=inv,
                context={
                    "when": emails.when(session.starts_at, zone=inv.time_zone, locale=inv.locale),
                    "url": url,
                },
            )
            n += 1
        session.prompts_sent_at = now
    db.session.flush()
    return n


def question_url(session: CallSession, person_id: int) -> str:
    """The person's signed link to the question form of one session."""
    return make_action_url(
        endpoint="calls_public.question_form",
        purpose=QUESTION_PURPOSE,
        person_id=person_id,
        object_id=session.id,
        region_id=session.region_id,
    )


def questions_by_group(session_id: int) -> dict[str, list[CallQuestion]]:
    """A session's questions grouped: where learners are stuck, topics, answered."""
    groups: dict[str, list[CallQuestion]] = {"stuck": [], "discuss": [], "answered": []}
    for q in db.session.scalars(
        select(CallQuestion)
        .where(CallQuestion.session_id == session_id)
        .order_by(CallQuestion.created_at, CallQuestion.id)
    ):
        groups["answered" if q.answered else "stuck" if q.blocked else "discuss"].append(q)
    return groups


def send_agendas(*, region: Region, now: datetime) -> int:
    """Due work (hourly, or at least at 07:00 region time): the hosts' agenda email.

    On the morning (from 07:00 local) of each session, the expert and the HR
    partner get the questions asked so far, grouped. Marks ``agenda_sent_at``.
    """
    zone = ZoneInfo(region.time_zone)
    local_now = now.astimezone(zone)
    if local_now.time() < AGENDA_AT:
        return 0
    n = 0
    for session in _sessions_soon(region, now, days=1):
        if session.agenda_sent_at is not None:
            continue
        if session.starts_at.astimezone(zone).date() != local_now.date():
            continue
        rollout = session.rollout
        groups = questions_by_group(session.id)
        for inv in active_invitations(rollout.id):
            if inv.role != "host":
                continue
            emails.send_to_invitee(
                kind="calls/agenda",
                key=f"calls/agenda/{session.id}/{inv.id}",
                rollout=rollout,
                invitee=inv,
                context={
                    "when": emails.when(session.starts_at, zone=inv.time_zone, locale=inv.locale),
                    "join_url": session.join_url,
                    "stuck": [_question_line(q) for q in groups["stuck"]],
                    "discuss": [_question_line(q) for q in groups["discuss"]],
                    "url": _session_url(rollout, session),
                },
            )
            n += 1
        session.agenda_sent_at = now
    db.session.flush()
    return n


def _question_line(q: CallQuestion) -> dict[str, str]:
    return {"who": q.enrollment.person.name, "text": q.text}


def _session_url(rollout: Rollout, session: CallSession) -> str:

    return absolute_url(
        "calls.session_page", region=rollout.region.code, slug=rollout.slug, session_id=session.id
    )
