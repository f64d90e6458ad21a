"""Building the call emails: invitations (via app.ics), times in the reader's zone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app

from app.calls.models import CallInvitation, CallSession
from app.ics import Attendee, InviteEvent, build_calendar, ics_attachment
from app.mail.services import Attachment, queue_email
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


def invite_event(
    session: CallSession, rollout: Rollout, invitee: CallInvitation, *, cancelled: bool = False
) -> InviteEvent:
    """One session as a VEVENT for one invitee (attendee lists stay private)."""
    return InviteEvent(
        uid=session.uid,
        summary=summary(rollout),
        starts_at=session.starts_at,
        duration=timedelta(minutes=session.duration_minutes),
        time_zone=rollout.region.time_zone,
        sequence=session.sequence,
        description=(
            f"Weekly call with the subject-matter expert and the HR partner.\n"
            f"Join: {session.join_url}"
            + (f"\n{session.change_note}" if session.change_note else "")
        ),
        location=session.join_url,
        url=session.join_url,
        attendees=(Attendee(invitee.email, invitee.name),),
        cancelled=cancelled or session.cancelled,
    )


def calendar_attachments(
    rollout: Rollout,
    invitee: CallInvitation,
    *,
    requests: Sequence[CallSession] = (),
    cancels: Sequence[CallSession] = (),
) -> list[Attachment]:
    """An ``invite.ics`` (METHOD:REQUEST) and/or ``cancel.ics`` (METHOD:CANCEL)."""
    org_name, org_email = organizer()
    attachments = []
    if requests:
        data = build_calendar(
            [invite_event(s, rollout, invitee) for s in requests],
            organizer_email=org_email,
            organizer_name=org_name,
            method="REQUEST",
        )
        attachments.append(ics_attachment(data, method="REQUEST", filename="invite.ics"))
    if cancels:
        data = build_calendar(
            [invite_event(s, rollout, invitee, cancelled=True) for s in cancels],
            organizer_email=org_email,
            organizer_name=org_name,
            method="CANCEL",
        )
        attachments.append(ics_attachment(data, method="CANCEL", filename="cancel.ics"))
    return attachments  # type: ignore[return-value]


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
