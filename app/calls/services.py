"""The call series: generating it, inviting people, changing it, and the due work.

Every change a calendar already holds goes out again with a higher SEQUENCE
(same UID); a cancellation goes out as METHOD:CANCEL. Services flush; the
caller commits.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select

from app.audit.services import record
from app.calls import emails
from app.calls.models import CallInvitation, CallQuestion, CallSession, CallStatus
from app.calls.planning import business_days_before, local_instant, plan_series
from app.db import utcnow
from app.extensions import db
from app.links.services import make_action_url
from app.people.models import Person, normalise_email
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout, RolloutStatus
from app.tasks import enqueue_after_commit

log = logging.getLogger(__name__)

#: learners who are invited to the calls
CALL_STATES = (EnrollmentState.TIME_APPROVED, EnrollmentState.ACTIVE)
#: learners whose invitation is withdrawn (completed learners keep theirs)
LEFT_STATES = (EnrollmentState.REMOVED, EnrollmentState.WITHDRAWN)
QUESTION_PURPOSE = "calls.question"
#: local time the question prompts (two business days ahead) and the agenda go out
PROMPT_AT = time(9, 0)
AGENDA_AT = time(7, 0)


class CallChangeError(ValueError):
    """A change the series cannot take (a date in the past, after the program...)."""


#: seam for the optional Teams helper: ``(rollout) -> join URL``; None uses the fixed URL
join_url_provider: Callable[[Rollout], str | None] | None = None


def join_url_for(rollout: Rollout) -> str:
    """The rollout's join URL: a Teams meeting when a provider is set, else the fixed one."""
    if join_url_provider is not None:
        url = join_url_provider(rollout)
        if url:
            return url
    return rollout.call_join_url


def _plan(rollout: Rollout, start: date) -> list:
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

    Holidays are applied per the region file. Then invites the hosts and every
    active learner not yet invited (``notify=False`` records them without email).
    Returns the sessions created.
    """
    existing = {s.series_date for s in sessions_of(rollout.id)}
    url = join_url_for(rollout)
    created = []
    for planned in _plan(rollout, rollout.cohort_start):
        if planned.series_date in existing:
            continue
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


def _upcoming(rollout_id: int, now: datetime) -> list[CallSession]:
    return list(
        db.session.scalars(
            select(CallSession)
            .where(
                CallSession.rollout_id == rollout_id,
                CallSession.status == CallStatus.SCHEDULED,
                CallSession.starts_at > now,
            )
            .order_by(CallSession.starts_at)
        )
    )


def active_invitations(rollout_id: int) -> list[CallInvitation]:
    return list(
        db.session.scalars(
            select(CallInvitation)
            .where(CallInvitation.rollout_id == rollout_id, CallInvitation.left_at.is_(None))
            .order_by(CallInvitation.id)
        )
    )


def invite_attendees(
    *, region: Region, rollout: Rollout, now: datetime | None = None, notify: bool = True
) -> tuple[int, int]:
    """Bring the invitation list in line with the rollout: hosts and active learners.

    New invitees get the whole upcoming series (one invite.ics); learners who
    left the program and former hosts get a cancellation of what they hold.
    Returns (invited, withdrawn).
    """
    now = now or utcnow()
    upcoming = _upcoming(rollout.id, now)
    current = {
        inv.email: inv
        for inv in db.session.scalars(
            select(CallInvitation).where(CallInvitation.rollout_id == rollout.id)
        )
    }
    new: list[CallInvitation] = []
    wanted_hosts: set[str] = set()
    for host in (rollout.expert, rollout.hr_partner):
        if host is None:
            continue
        email = normalise_email(host.email)
        wanted_hosts.add(email)
        if email not in current:
            inv = CallInvitation(
                region_id=region.id,
                rollout_id=rollout.id,
                notified_at=None if notify else now,
                email=email,
                name=host.name,
                staff_user_id=host.id,
                role="host",
                time_zone=region.time_zone,
                locale=region.locale,
            )
            new.append(inv)
            current[email] = inv
    # learners active in the program without an invitation (one outer join)
    rows = db.session.execute(
        select(Person)
        .join(Enrollment, Enrollment.person_id == Person.id)
        .outerjoin(
            CallInvitation,
            and_(
                CallInvitation.rollout_id == rollout.id,
                CallInvitation.email == Person.email,
            ),
        )
        .where(
            Enrollment.rollout_id == rollout.id,
            Enrollment.state.in_(CALL_STATES),
            CallInvitation.id.is_(None),
        )
        .order_by(Person.id)
    ).scalars()
    for person in rows:
        inv = CallInvitation(
            region_id=region.id,
            rollout_id=rollout.id,
            notified_at=None if notify else now,
            email=person.email,
            name=person.name,
            person_id=person.id,
            role="learner",
            time_zone=person.time_zone or region.time_zone,
            locale=person.locale or region.locale,
        )
        new.append(inv)
    db.session.add_all(new)
    db.session.flush()
    # a learner invited before, who left then came back, is invited again
    rejoined = db.session.scalars(
        select(CallInvitation)
        .join(Enrollment, Enrollment.person_id == CallInvitation.person_id)
        .where(
            CallInvitation.rollout_id == rollout.id,
            CallInvitation.left_at.is_not(None),
            Enrollment.rollout_id == rollout.id,
            Enrollment.state.in_(CALL_STATES),
        )
    ).all()
    for inv in rejoined:
        inv.left_at = None
        inv.invited_at = now
        inv.notified_at = None if notify else now
    leaving = list(
        db.session.scalars(
            select(CallInvitation)
            .join(Enrollment, Enrollment.person_id == CallInvitation.person_id)
            .where(
                CallInvitation.rollout_id == rollout.id,
                CallInvitation.left_at.is_(None),
                Enrollment.rollout_id == rollout.id,
                Enrollment.state.in_(LEFT_STATES),
            )
        )
    )
    leaving += [
        inv
        for inv in current.values()
        if inv.role == "host" and inv.left_at is None and inv.email not in wanted_hosts
    ]
    if notify and (new or rejoined):
        enqueue_after_commit("jobs.calls.send_invitations", rollout.id, queue="default")
    for inv in leaving:
        inv.left_at = now
        if notify and upcoming:
            emails.send_to_invitee(
                kind="calls/update",
                key=f"calls/withdrawn/{inv.id}/{int(now.timestamp())}",
                rollout=rollout,
                invitee=inv,
                context={
                    "changed": [],
                    "cancelled": emails.session_lines(upcoming, inv),
                    "note": "",
                    "join_url": "",
                },
                attachments=emails.calendar_attachments(rollout, inv, cancels=upcoming),
            )
    db.session.flush()
    if new or leaving:
        log.info(
            "rollout %s: %s invited, %s withdrawn from calls", rollout.id, len(new), len(leaving)
        )
    return len(new) + len(rejoined), len(leaving)


def send_pending_invitations(
    *, rollout: Rollout, now: datetime | None = None, batch: int = 1000
) -> int:
    """Queue the series invitation (the upcoming sessions as one invite.ics) for up
    to ``batch`` invitees not yet notified; marks them ``notified_at``. Run by a job
    (it re-enqueues itself while more remain). Returns the number queued."""
    now = now or utcnow()
    pending = list(
        db.session.scalars(
            select(CallInvitation)
            .where(
                CallInvitation.rollout_id == rollout.id,
                CallInvitation.left_at.is_(None),
                CallInvitation.notified_at.is_(None),
            )
            .order_by(CallInvitation.id)
            .limit(batch)
        )
    )
    upcoming = _upcoming(rollout.id, now)
    for inv in pending:
        emails.send_to_invitee(
            kind="calls/invitation",
            key=f"calls/invitation/{inv.id}/{int(inv.invited_at.timestamp())}",
            rollout=rollout,
            invitee=inv,
            context={
                "sessions": emails.session_lines(upcoming, inv),
                "join_url": join_url_for(rollout),
                "duration": rollout.call_duration_minutes,
                "host": inv.role == "host",
            },
            attachments=emails.calendar_attachments(rollout, inv, requests=upcoming),
        )
        inv.notified_at = now
    db.session.flush()
    if len(pending) == batch:
        enqueue_after_commit("jobs.calls.send_invitations", rollout.id, queue="default")
    return len(pending)


def notify_change(
    *,
    rollout: Rollout,
    changed: Sequence[CallSession],
    cancelled: Sequence[CallSession],
    note: str = "",
) -> None:
    """After commit, a job sends every current invitee the new versions (REQUEST) and
    the cancellations (CANCEL) of these sessions (see :func:`send_change`)."""
    if not changed and not cancelled:
        return
    enqueue_after_commit(
        "jobs.calls.send_change",
        rollout.id,
        [s.id for s in changed],
        [s.id for s in cancelled],
        note,
        queue="default",
    )


def send_change(
    *, rollout: Rollout, changed_ids: Sequence[int], cancelled_ids: Sequence[int], note: str
) -> int:
    """Queue the update email to every current invitee, with an invite.ics of the
    changed sessions and a cancel.ics of the cancelled ones, as they are now.

    The idempotency key holds each session's SEQUENCE, so the same version twice
    sends once. Returns the number of emails queued.
    """
    ids = [*changed_ids, *cancelled_ids]
    sessions = {
        s.id: s
        for s in db.session.scalars(
            select(CallSession).where(CallSession.id.in_(ids), CallSession.rollout_id == rollout.id)
        )
    }
    changed = [sessions[i] for i in changed_ids if i in sessions and not sessions[i].cancelled]
    cancelled = [sessions[i] for i in ids if i in sessions and sessions[i].cancelled]
    if not changed and not cancelled:
        return 0
    version = ",".join(f"{s.id}:{s.sequence}" for s in [*changed, *cancelled])
    digest = hashlib.sha256(version.encode()).hexdigest()[:16]
    n = 0
    for inv in active_invitations(rollout.id):
        emails.send_to_invitee(
            kind="calls/update",
            key=f"calls/update/{rollout.id}/{digest}/{inv.id}",
            rollout=rollout,
            invitee=inv,
            context={
                "changed": emails.session_lines(changed, inv),
                "cancelled": emails.session_lines(cancelled, inv),
                "note": note,
                "join_url": join_url_for(rollout),
            },
            attachments=emails.calendar_attachments(
                rollout, inv, requests=changed, cancels=cancelled
            ),
        )
        n += 1
    return n


def move_session(
    *,
    region: Region,
    session: CallSession,
    day: date,
    at: time,
    note: str,
    actor: object,
    now: datetime | None = None,
) -> CallSession:
    """Move one session to a new local date and time; attendees get SEQUENCE+1."""
    now = now or utcnow()
    starts_at = local_instant(day, at, region.time_zone)
    if starts_at <= now:
        raise CallChangeError("A session can only be moved to a time in the future.")
    if session.starts_at <= now:
        raise CallChangeError("This session has already taken place.")
    was = session.starts_at
    session.starts_at = starts_at
    session.status = CallStatus.SCHEDULED
    session.sequence += 1
    session.change_note = note or None
    session.changed_by_hand = True
    db.session.flush()
    record(
        region_id=region.id,
        action="calls.session_moved",
        obj=session,
        actor=actor,
        channel="web",
        data={"from": was.isoformat(), "to": starts_at.isoformat(), "note": note},
    )
    notify_change(rollout=session.rollout, changed=[session], cancelled=[], note=note)
    return session


def cancel_session(
    *, region: Region, session: CallSession, note: str, actor: object, now: datetime | None = None
) -> CallSession:
    """Cancel one session; attendees get METHOD:CANCEL with SEQUENCE+1."""
    now = now or utcnow()
    if session.starts_at <= now:
        raise CallChangeError("This session has already taken place.")
    if session.cancelled:
        return session
    session.status = CallStatus.CANCELLED
    session.sequence += 1
    session.change_note = note or None
    session.changed_by_hand = True
    db.session.flush()
    record(
        region_id=region.id,
        action="calls.session_cancelled",
        obj=session,
        actor=actor,
        channel="web",
        data={"note": note},
    )
    notify_change(rollout=session.rollout, changed=[], cancelled=[session], note=note)
    return session


def change_series(
    *,
    region: Region,
    rollout: Rollout,
    weekday: int,
    at: time,
    duration_minutes: int,
    join_url: str,
    actor: object,
    now: datetime | None = None,
) -> tuple[int, int, int]:
    """Change the weekly slot (and/or length, join URL) for every future session.

    Future sessions are matched to the new plan week by week: a session that
    changes gets SEQUENCE+1, a week that no longer has one is cancelled, a new
    week gets a new session; a session the lead moved or cancelled by hand keeps
    that decision. Past sessions never change. Returns (changed, cancelled, created).
    """
    now = now or utcnow()
    if not 0 <= weekday <= 6 or not 5 <= duration_minutes <= 480:
        raise CallChangeError("Choose a weekday and a length between 5 and 480 minutes.")
    rollout.call_weekday = weekday
    rollout.call_time = at
    rollout.call_duration_minutes = duration_minutes
    rollout.call_join_url = join_url
    url = join_url_for(rollout)
    today_local = now.astimezone(ZoneInfo(region.time_zone)).date()
    all_sessions = sessions_of(rollout.id)
    future = [s for s in all_sessions if s.starts_at > now]
    by_week = {s.series_date.isocalendar()[:2]: s for s in future}
    # a week whose call already took place keeps it: no second call that week
    held_weeks = {s.series_date.isocalendar()[:2] for s in all_sessions if s.starts_at <= now}
    planned = [
        p
        for p in _plan(rollout, max(rollout.cohort_start, today_local))
        if p.starts_at > now and p.series_date.isocalendar()[:2] not in held_weeks
    ]
    changed: list[CallSession] = []
    cancelled: list[CallSession] = []
    created: list[CallSession] = []
    seen = set()
    for p in planned:
        week = p.series_date.isocalendar()[:2]
        seen.add(week)
        session = by_week.get(week)
        if session is None:
            session = CallSession(
                region_id=region.id,
                rollout_id=rollout.id,
                series_date=p.series_date,
                starts_at=p.starts_at,
                duration_minutes=duration_minutes,
                status=CallStatus.CANCELLED if p.cancelled else CallStatus.SCHEDULED,
                join_url=url,
                change_note=p.note,
            )
            db.session.add(session)
            created.append(session)
            continue
        if session.changed_by_hand:
            if session.join_url != url or session.duration_minutes != duration_minutes:
                session.join_url, session.duration_minutes = url, duration_minutes
                session.sequence += 1
                (cancelled if session.cancelled else changed).append(session)
            continue
        status = CallStatus.CANCELLED if p.cancelled else CallStatus.SCHEDULED
        before = (session.starts_at, session.duration_minutes, session.join_url, session.status)
        session.series_date = p.series_date
        session.starts_at = p.starts_at
        session.duration_minutes = duration_minutes
        session.join_url = url
        session.change_note = p.note
        if before == (p.starts_at, duration_minutes, url, status):
            continue
        was_cancelled = session.cancelled
        session.status = status
        session.sequence += 1
        if status is CallStatus.CANCELLED:
            if not was_cancelled:
                cancelled.append(session)
        else:
            changed.append(session)
    for week, session in by_week.items():
        if week not in seen and not session.cancelled:
            session.status = CallStatus.CANCELLED
            session.sequence += 1
            cancelled.append(session)
    db.session.flush()
    record(
        region_id=region.id,
        action="calls.series_changed",
        obj=rollout,
        actor=actor,
        channel="web",
        data={
            "weekday": weekday,
            "time": at.strftime("%H:%M"),
            "duration_minutes": duration_minutes,
            "changed": len(changed),
            "cancelled": len(cancelled),
            "created": len(created),
        },
    )
    notify_change(rollout=rollout, changed=[*changed, *created], cancelled=cancelled)
    return len(changed), len(cancelled), len(created)


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
    day = business_days_before(
        session.starts_at.astimezone(zone).date(),
        2,
        country=region.holiday_country,
        subdivision=region.holiday_subdivision,
    )
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
            url = make_action_url(
                endpoint="calls_public.question_form",
                purpose=QUESTION_PURPOSE,
                person_id=inv.person_id,
                object_id=session.id,
                region_id=region.id,
            )
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
    from app.links.services import absolute_url

    return absolute_url(
        "calls.session_page", region=rollout.region.code, slug=rollout.slug, session_id=session.id
    )
