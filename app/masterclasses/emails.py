"""Master-class emails: invitation, confirmation with ICS, waitlist, cancellation, reminder.

Each learner's ICS keeps one UID per invitation and a SEQUENCE raised at every one
sent, so calendar clients update (or cancel) the event they already hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from app.db import utcnow
from app.ics import Attendee, InviteEvent, build_calendar
from app.language import local_datetime, person_locale
from app.links.services import make_action_url
from app.mail.services import display_name, ics_attachment, queue_email
from app.masterclasses.models import MasterClassInvitation
from app.masterclasses.recognition import opt_in_url

RSVP_PURPOSE = "masterclass-rsvp"
#: RSVP links stay valid long enough for a class announced months ahead
RSVP_MAX_AGE = timedelta(days=180)

# --- email --------------------------------------------------------------------------------


def rsvp_url(invitation: MasterClassInvitation) -> str:
    """The learner's signed RSVP link (absolute, from SUMMIT_BASE_URL)."""

    return make_action_url(
        endpoint="masterclasses_public.rsvp",
        purpose=RSVP_PURPOSE,
        person_id=invitation.enrollment.person_id,
        object_id=invitation.id,
    )


def context_for(invitation: MasterClassInvitation) -> dict[str, Any]:
    """What every master-class email shows, with the time in the learner's own zone."""

    mc = invitation.master_class
    person = invitation.enrollment.person
    zone = ZoneInfo(person.time_zone or person.region.time_zone)
    locale = person.locale or person.region.locale
    return {
        "name": person.name,
        "title": mc.title,
        "hosts": mc.hosts,
        "description": mc.description,
        "program": mc.program.title,
        # the reader's date and time format, no seconds ("Thursday, 10 December 2026 at 11:00")
        "starts": local_datetime(mc.starts_at, "full", tz=zone.key, locale=locale, time="short"),
        "seats_left": mc.seats_left,
        "capacity": mc.capacity,
        "time_zone": zone.key,
        "duration_minutes": mc.duration_minutes,
        "location": mc.location,
        "join_url": mc.join_url,
        "face_to_face": mc.face_to_face,
        "rsvp_url": rsvp_url(invitation),
        "leaderboard_url": opt_in_url(invitation.enrollment),
    }


def send(
    invitation: MasterClassInvitation,
    kind: str,
    *,
    key: str = "",
    attachments: Iterable[Any] = (),
    extra: dict[str, Any] | None = None,
) -> None:
    """Queue one ``kind`` email to the invited learner, in their locale; ``key`` makes it
    idempotent (the same key twice queues nothing new)."""

    person = invitation.enrollment.person
    queue_email(
        kind=kind,
        to_address=person.email,
        to_name=person.name,
        idempotency_key=f"{kind}/{invitation.id}/{key}",
        context={**context_for(invitation), **(extra or {})},
        locale=person_locale(person, person.region),
        region_id=invitation.region_id,
        person_id=person.id,
        attachments=list(attachments),
    )


def invitation_email(invitation: MasterClassInvitation) -> None:
    """Queue the invitation email with the RSVP link (once per invitation)."""
    send(invitation, "masterclasses/invitation")


def calendar_attachment(invitation: MasterClassInvitation, *, method: str) -> Any:
    """The ICS for this learner's place; every one sent carries a higher SEQUENCE."""

    mc = invitation.master_class
    person = invitation.enrollment.person
    invitation.calendar_sequence += 1
    sequence = invitation.calendar_sequence
    sender = current_app.extensions["summit.settings"].mail_default_sender
    organizer = parseaddr(sender)[1] or sender
    event = InviteEvent(
        uid=f"masterclass-{mc.id}-{invitation.id}@summit",
        summary=mc.title,
        starts_at=mc.starts_at,
        duration=timedelta(minutes=mc.duration_minutes),
        time_zone=(mc.region or person.region).time_zone,
        sequence=sequence,
        description=f"{mc.description}\n\nHosts: {mc.hosts}".strip(),
        location=mc.location or mc.join_url,
        url=mc.join_url,
        attendees=(Attendee(email=person.email, name=display_name(person.name)),),
    )
    data = build_calendar([event], organizer_email=organizer, method=method)
    return ics_attachment(data, method=method, filename="master-class.ics")


def place_email(invitation: MasterClassInvitation, *, promoted: bool, update: bool = False) -> None:
    """Queue the confirmation of a place (accepted, promoted or the class changed) with
    an ICS REQUEST; raises the invitation's calendar SEQUENCE."""
    mc = invitation.master_class
    # each new place (or a changed class) is a new email; the same one twice is not
    stamp = (invitation.promoted_at if promoted else invitation.responded_at) or utcnow()
    send(
        invitation,
        "masterclasses/promoted" if promoted else "masterclasses/accepted",
        key=f"{stamp.isoformat()}/{mc.sequence}" if not update else f"update/{mc.sequence}",
        attachments=[calendar_attachment(invitation, method="REQUEST")],
        extra={"update": update},
    )


def cancellation_email(invitation: MasterClassInvitation, now: datetime) -> None:
    """Queue the "place given up" email with an ICS CANCEL; raises the calendar SEQUENCE."""
    send(
        invitation,
        "masterclasses/declined",
        key=now.isoformat(),
        attachments=[calendar_attachment(invitation, method="CANCEL")],
    )
