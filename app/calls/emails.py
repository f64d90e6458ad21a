"""Building the call emails: invitations (via app.ics), times in the reader's zone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app

from app.calls.calendar import series_sequence, series_uid, shape_series
from app.calls.models import CallInvitation, CallSession
from app.ics import Attendee, InviteEvent, build_calendar
from app.mail.services import Attachment, ics_attachment, queue_email
from app.rollouts.models import Rollout


def when(starts_at: datetime, *, zone: str, locale: str) -> str:
    """A session's start as the reader reads it: their zone, their language, zone named."""
    try:
        return format_datetime(
            starts_at, "EEEE d MMMM y, HH:mm zzzz", tzinfo=ZoneInfo(zone), locale=locale
        )
    except (ValueError, LookupError):
        return format_datetime(starts_at, "EEEE d MMMM y, HH:mm zzzz", tzinfo=ZoneInfo(zone))


def organizer() -> tuple[str, str]:
    """The invitations' ORGANIZER: the mailbox Summit sends from (replies reach a person there)."""
    name, address = parseaddr(current_app.extensions["summit.settings"].mail_default_sender)
    return name or "Summit", address or "summit@localhost"


def summary(rollout: Rollout) -> str:
    return f"{rollout.program.title}: weekly expert call ({rollout.region.name})"


def _description(join_url: str, note: str | None = None) -> str:
    return f"Weekly call with the subject-matter expert and the HR partner.\nJoin: {join_url}" + (
        f"\n{note}" if note else ""
    )


def legacy_event(session: CallSession, rollout: Rollout, invitee: CallInvitation) -> InviteEvent:
    """One session as the VEVENT the invitations before the series carried (its own UID),
    cancelled: only to take those events out of the calendars that still hold them."""
    return InviteEvent(
        uid=session.uid,
        summary=summary(rollout),
        starts_at=session.starts_at,
        duration=timedelta(minutes=session.duration_minutes),
        time_zone=rollout.region.time_zone,
        sequence=session.sequence + 1,
        description=_description(session.join_url),
        location=session.join_url,
        url=session.join_url,
        attendees=(Attendee(invitee.email, invitee.name),),
        cancelled=True,
    )


def series_events(
    rollout: Rollout, invitee: CallInvitation, sessions: Sequence[CallSession]
) -> list[InviteEvent]:
    """The series for one invitee (attendee lists stay private): the master first, then
    one override per session held off the weekly slot. Empty when none is scheduled."""
    zone = rollout.region.time_zone
    shape = shape_series(
        sessions,
        weekday=rollout.call_weekday,
        at=rollout.call_time,
        duration_minutes=rollout.call_duration_minutes,
        zone=zone,
    )
    if shape is None:
        return []
    common = {
        "uid": series_uid(rollout.id),
        "summary": summary(rollout),
        "time_zone": zone,
        "sequence": shape.sequence,
        "attendees": (Attendee(invitee.email, invitee.name),),
    }
    events = [
        InviteEvent(
            starts_at=shape.starts_at,
            duration=shape.duration,
            description=_description(shape.join_url),
            location=shape.join_url,
            url=shape.join_url,
            rrule=shape.rrule,
            exdates=shape.exdates,
            **common,  # type: ignore[arg-type]
        )
    ]
    for override in shape.overrides:
        s = override.session
        events.append(
            InviteEvent(
                starts_at=s.starts_at,
                duration=timedelta(minutes=s.duration_minutes),
                recurrence_id=override.recurrence_id,
                description=_description(s.join_url, s.change_note),
                location=s.join_url,
                url=s.join_url,
                **common,  # type: ignore[arg-type]
            )
        )
    return events


def series_invite(
    rollout: Rollout, invitee: CallInvitation, sessions: Sequence[CallSession]
) -> list[Attachment]:
    """``invite.ics``: the whole series (METHOD:REQUEST) as it is now; a cancellation of
    the series when no session is left scheduled."""
    events = series_events(rollout, invitee, sessions)
    if not events:
        return series_cancel(rollout, invitee, sessions)
    return [_attachment(events, "REQUEST", "invite.ics")]


def series_cancel(
    rollout: Rollout, invitee: CallInvitation, sessions: Sequence[CallSession]
) -> list[Attachment]:
    """``cancel.ics``: METHOD:CANCEL of the series' UID (the master only; the overrides
    go with it), for a learner who leaves or a series with nothing left."""
    if not sessions:
        return []
    events = series_events(rollout, invitee, sessions)
    if events:
        master = events[0]
    else:
        # nothing scheduled any more: the series' UID is cancelled all the same
        master = InviteEvent(
            uid=series_uid(rollout.id),
            summary=summary(rollout),
            starts_at=min(s.starts_at for s in sessions),
            duration=timedelta(minutes=rollout.call_duration_minutes),
            time_zone=rollout.region.time_zone,
            sequence=series_sequence(sessions),
            attendees=(Attendee(invitee.email, invitee.name),),
        )
    return [_attachment([replace(master, cancelled=True)], "CANCEL", "cancel.ics")]


def legacy_cancel(
    rollout: Rollout, invitee: CallInvitation, sessions: Sequence[CallSession]
) -> list[Attachment]:
    """``cancel.ics`` of the per-session events sent before the series existed."""
    if not sessions:
        return []
    events = [legacy_event(s, rollout, invitee) for s in sessions]
    return [_attachment(events, "CANCEL", "cancel.ics")]


def _attachment(events: list[InviteEvent], method: str, filename: str) -> Attachment:
    org_name, org_email = organizer()
    data = build_calendar(events, organizer_email=org_email, organizer_name=org_name, method=method)
    return ics_attachment(data, method=method, filename=filename)


def holds_session_events(invitee: CallInvitation) -> bool:
    """Was sent the invitations from before the series (one event per session) and
    has not had the series since."""
    return invitee.notified_at is not None and invitee.series_sent_at is None


def switch_to_series(
    *,
    rollout: Rollout,
    invitee: CallInvitation,
    sessions: Sequence[CallSession],
    now: datetime,
) -> None:
    """Before the first series message to someone who holds per-session events: one
    message cancelling the upcoming ones by their old UIDs (past ones stay as a record),
    so the series does not show every call twice. Then they count as holding the series.
    Its own message: a client acts on one calendar part per message."""
    if not holds_session_events(invitee):
        return
    upcoming = [s for s in sessions if s.starts_at > now]
    if upcoming:
        send_to_invitee(
            kind="calls/update",
            key=f"calls/series-switch/{invitee.id}",
            rollout=rollout,
            invitee=invitee,
            context={
                "changed": [],
                "cancelled": [],
                "note": "",
                "join_url": "",
                "series_switch": True,
            },
            attachments=legacy_cancel(rollout, invitee, upcoming),
        )
    invitee.series_sent_at = now


def send_withdrawal(
    *,
    rollout: Rollout,
    invitee: CallInvitation,
    upcoming: Sequence[CallSession],
    sessions: Sequence[CallSession],
    now: datetime,
) -> None:
    """Tell someone who leaves the calls which upcoming ones they no longer attend, with
    what takes the calls out of their calendar (:func:`withdrawal_attachments`)."""
    send_to_invitee(
        kind="calls/update",
        key=f"calls/withdrawn/{invitee.id}/{int(now.timestamp())}",
        rollout=rollout,
        invitee=invitee,
        context={
            "changed": [],
            "cancelled": session_lines(upcoming, invitee),
            "note": "",
            "join_url": "",
        },
        attachments=withdrawal_attachments(rollout, invitee, sessions, now=now),
    )


def withdrawal_attachments(
    rollout: Rollout,
    invitee: CallInvitation,
    sessions: Sequence[CallSession],
    *,
    now: datetime,
) -> list[Attachment]:
    """What takes the calls out of a leaver's calendar: METHOD:CANCEL of the series, or
    of the upcoming per-session events for someone who never had the series."""
    if holds_session_events(invitee):
        return legacy_cancel(rollout, invitee, [s for s in sessions if s.starts_at > now])
    return series_cancel(rollout, invitee, sessions)


def session_lines(sessions: Iterable[CallSession], invitee: CallInvitation) -> list[str]:
    return [when(s.starts_at, zone=invitee.time_zone, locale=invitee.locale) for s in sessions]


def send_to_invitee(
    *,
    kind: str,
    key: str,
    rollout: Rollout,
    invitee: CallInvitation,
    context: dict[str, Any],
    attachments: Sequence[Attachment] = (),
) -> None:
    """Queue one call email to one invitee, in their language."""
    queue_email(
        kind=kind,
        to_address=invitee.email,
        to_name=invitee.name,
        idempotency_key=key,
        context={
            "name": invitee.name,
            "program": rollout.program.title,
            "region_name": rollout.region.name,
            "time_zone": invitee.time_zone,
            **context,
        },
        locale=invitee.locale,
        region_id=rollout.region_id,
        person_id=invitee.person_id,
        attachments=attachments,
    )
