"""Changing the series or one session; every change reaches the attendees' calendars.

Every change goes out as the whole series again (one recurring event, same UID, see
``app.calls.calendar``) with a higher SEQUENCE: a moved session is an override
(RECURRENCE-ID), a cancelled one an EXDATE. Resending the series rather than a
METHOD:CANCEL with RECURRENCE-ID per occurrence: Outlook takes an EXDATE in the
master's zone as a deleted occurrence, the message stands on its own (a client that
missed one is put right by the next) and one calendar part carries any mix of moves and
cancellations. The emails are sent by a job after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.audit.services import record
from app.calls import emails
from app.calls.calendar import rollout_sessions, series_sequence
from app.calls.invitations import active_invitations
from app.calls.meetings import ensure_join_url, join_url_for
from app.calls.models import CallSession, CallStatus
from app.calls.planning import local_instant
from app.calls.services import plan_for, sessions_of
from app.db import utcnow
from app.extensions import db
from app.language import _
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.tasks import enqueue_after_commit


class CallChangeError(ValueError):
    """A change the series cannot take (a date in the past, after the program...)."""


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
    *,
    rollout: Rollout,
    changed_ids: Sequence[int],
    cancelled_ids: Sequence[int],
    note: str,
    now: datetime | None = None,
) -> int:
    """Queue the update email to every current invitee: the changed and cancelled
    sessions in the body, the whole series as it is now in invite.ics (METHOD:REQUEST,
    SEQUENCE raised; METHOD:CANCEL of the series when nothing is left scheduled).

    Someone who still holds the per-session events sent before the series first gets
    one message cancelling those (:func:`emails.switch_to_series`). The idempotency key
    holds the series' SEQUENCE, so the same version twice sends once. Returns the
    number of update emails queued.
    """
    now = now or utcnow()
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
    series = rollout_sessions(rollout.id)
    version = series_sequence(series)
    n = 0
    for inv in active_invitations(rollout.id):
        emails.switch_to_series(rollout=rollout, invitee=inv, sessions=series, now=now)
        emails.send_to_invitee(
            kind="calls/update",
            key=f"calls/update/{rollout.id}/{version}/{inv.id}",
            rollout=rollout,
            invitee=inv,
            context={
                "changed": emails.session_lines(changed, inv),
                "cancelled": emails.session_lines(cancelled, inv),
                "note": note,
                "join_url": join_url_for(rollout),
            },
            attachments=emails.series_invite(rollout, inv, series),
        )
        n += 1
    db.session.flush()
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
    """Move one session to a new local date and time; attendees get the series again
    with this occurrence as an override (RECURRENCE-ID) and a higher SEQUENCE."""
    now = now or utcnow()
    starts_at = local_instant(day, at, region.time_zone)
    if starts_at <= now:
        raise CallChangeError(_("A session can only be moved to a time in the future."))
    if session.starts_at <= now:
        raise CallChangeError(_("This session has already taken place."))
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
    *,
    region: Region,
    session: CallSession,
    note: str,
    actor: object,
    now: datetime | None = None,
    action: str = "calls.session_cancelled",
    announce: bool = True,
) -> CallSession:
    """Cancel one session; attendees get the series again with this occurrence in
    EXDATE and a higher SEQUENCE (the other occurrences stay). ``announce=False`` when
    nobody holds the series yet: their invitation will carry the EXDATE."""
    now = now or utcnow()
    if session.starts_at <= now:
        raise CallChangeError(_("This session has already taken place."))
    if session.cancelled:
        return session
    session.status = CallStatus.CANCELLED
    session.sequence += 1
    session.change_note = note or None
    session.changed_by_hand = True
    db.session.flush()
    record(
        region_id=region.id,
        action=action,
        obj=session,
        actor=actor,
        channel="web",
        data={"note": note, "announced": announce},
    )
    if announce:
        notify_change(rollout=session.rollout, changed=[], cancelled=[session], note=note)
    return session


def skip_session(
    *, region: Region, session: CallSession, note: str, actor: object, now: datetime | None = None
) -> bool:
    """Skip this week's call (a local lead or an expert, from the session page): the
    session is cancelled like :func:`cancel_session` and audited as skipped. Attendees
    are told when invitations already went out; an invitation still to be sent carries
    the skipped week as an EXDATE. Returns whether attendees are told.
    """
    announce = any(inv.notified_at is not None for inv in active_invitations(session.rollout_id))
    cancel_session(
        region=region,
        session=session,
        note=note,
        actor=actor,
        now=now,
        action="calls.session_skipped",
        announce=announce,
    )
    return announce


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

    Future sessions are matched to the new plan week by week (attendees get the series
    again on its new RRULE): a session that changes gets SEQUENCE+1, a week that no
    longer has one is cancelled, a new week gets a new session; a session the lead
    moved or cancelled by hand keeps that decision. Past sessions never change.
    Returns (changed, cancelled, created).
    """
    now = now or utcnow()
    if not 0 <= weekday <= 6 or not 5 <= duration_minutes <= 480:
        raise CallChangeError(_("Choose a weekday and a length between 5 and 480 minutes."))
    rollout.call_weekday = weekday
    rollout.call_time = at
    rollout.call_duration_minutes = duration_minutes
    rollout.call_join_url = join_url
    today_local = now.astimezone(ZoneInfo(region.time_zone)).date()
    all_sessions = sessions_of(rollout.id)
    future = [s for s in all_sessions if s.starts_at > now]
    by_week = {s.series_date.isocalendar()[:2]: s for s in future}
    # a week whose call already took place keeps it: no second call that week
    held_weeks = {s.series_date.isocalendar()[:2] for s in all_sessions if s.starts_at <= now}
    planned = [
        p
        for p in plan_for(rollout, max(rollout.cohort_start, today_local))
        if p.starts_at > now and p.series_date.isocalendar()[:2] not in held_weeks
    ]
    # the lead cleared the join URL and Teams is configured: a Teams meeting from now on
    url = ensure_join_url(rollout=rollout, planned=planned, actor=actor)
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
