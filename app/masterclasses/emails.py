"""Master-class emails: invitation, confirmation with ICS, waitlist, cancellation, reminder.

Each learner's ICS keeps one UID per invitation and a SEQUENCE raised at every one
sent, so calendar clients update (or cancel) the event they already hold.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from app.db import utcnow
from app.ics import Attendee, InviteEvent, build_calendar
from app.language import babel_locale, local_datetime, person_locale, reader_locale
from app.links.services import make_action_url, token_maker, url_with_token
from app.mail.models import EmailStatus
from app.mail.rendering import EmailShape, render_shape, slot
from app.mail.services import (
    checked_address,
    display_name,
    ics_attachment,
    message_id_for,
    queue_email,
)
from app.masterclasses.models import MasterClass, MasterClassInvitation
from app.masterclasses.recognition import OPT_IN_PURPOSE, opt_in_url

log = logging.getLogger(__name__)

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

    person = invitation.enrollment.person
    return {
        **_class_context(
            invitation.master_class,
            zone=person.time_zone or person.region.time_zone,
            locale=person.locale or person.region.locale,
        ),
        "name": person.name,
        "rsvp_url": rsvp_url(invitation),
        "leaderboard_url": opt_in_url(invitation.enrollment),
    }


def _class_context(mc: MasterClass, *, zone: str, locale: str) -> dict[str, Any]:
    """The class's part of :func:`context_for`, for a reader in ``zone`` and ``locale``."""
    zone = ZoneInfo(zone).key
    return {
        "title": mc.title,
        "hosts": mc.hosts,
        "description": mc.description,
        "program": mc.program.title,
        # the reader's date and time format, no seconds ("Thursday, 10 December 2026 at 11:00")
        "starts": local_datetime(mc.starts_at, "full", tz=zone, locale=locale, time="short"),
        "seats_left": mc.seats_left,
        "capacity": mc.capacity,
        "time_zone": zone,
        "duration_minutes": mc.duration_minutes,
        "location": mc.location,
        "join_url": mc.join_url,
        "face_to_face": mc.face_to_face,
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


INVITATION = "masterclasses/invitation"


def invitation_email(invitation: MasterClassInvitation) -> None:
    """Queue the invitation email with the RSVP link (once per invitation)."""
    send(invitation, INVITATION)


def invitation_key(invitation_id: int) -> str:
    """The outbox idempotency key of an invitation's email (what :func:`send` makes)."""
    return f"{INVITATION}/{invitation_id}/"


@dataclass(frozen=True)
class Invitee:
    """What an invitation email needs of its learner (one row of the bulk invite)."""

    invitation_id: int
    enrollment_id: int
    #: the invitation's (the enrollment's) region, its language and zone
    region_id: int
    region_locale: str
    region_time_zone: str
    person_id: int
    email: str
    name: str
    locale: str | None
    time_zone: str | None
    #: the person's own region's locale and zone (their defaults)
    home_locale: str
    home_time_zone: str


class InvitationEmails:
    """The invitation emails of one class for any number of learners, as outbox rows:
    what :func:`invitation_email` queues for each, rendered once per language and zone
    (an :class:`~app.mail.rendering.EmailShape`) and filled with each learner's name and
    signed links (``token_maker``: the same tokens as ``make_action_url``)."""

    def __init__(self, master_class: MasterClass) -> None:
        self.master_class = master_class
        self._rsvp_token, self._rsvp_url = (
            token_maker(RSVP_PURPOSE),
            url_with_token("masterclasses_public.rsvp"),
        )
        self._opt_in_token, self._opt_in_url = (
            token_maker(OPT_IN_PURPOSE),
            url_with_token("masterclasses_public.leaderboard_opt_in"),
        )
        self._shapes: dict[tuple[str, str, str, str], EmailShape] = {}

    def _shape(self, key: tuple[str, str, str, str]) -> EmailShape:
        shape = self._shapes.get(key)
        if shape is None:
            locale, time_zone, zone, reader = key
            context = {
                **_class_context(self.master_class, zone=zone, locale=reader),
                "name": slot("name"),
                "rsvp_url": slot("rsvp"),
                "leaderboard_url": slot("opt_in"),
            }
            shape = render_shape(INVITATION, locale=locale, time_zone=time_zone, context=context)
            self._shapes[key] = shape
        return shape

    def row(self, invitee: Invitee, now: datetime) -> dict[str, Any] | None:
        """The outbox row of ``invitee``'s invitation email; None (logged) when their
        address is unusable."""
        try:
            address = checked_address(invitee.email)
        except ValueError:
            log.warning("master class: invitation %s has no usable address", invitee.invitation_id)
            return None
        # as queue_email: the person's language (else their region's), the invitation's
        # region's zone for the date filters; the class's time as context_for gives it
        locale = reader_locale(
            reader_locale(invitee.locale, invitee.home_locale), invitee.region_locale
        )
        key = (
            locale,
            invitee.region_time_zone,
            invitee.time_zone or invitee.home_time_zone,
            invitee.locale or invitee.home_locale,
        )
        rendered = self._shape(key).fill(
            {
                "name": invitee.name,
                "rsvp": self._rsvp_url(self._rsvp_token(invitee.person_id, invitee.invitation_id)),
                "opt_in": self._opt_in_url(
                    self._opt_in_token(invitee.person_id, invitee.enrollment_id)
                ),
            }
        )
        idempotency_key = invitation_key(invitee.invitation_id)
        return {
            "idempotency_key": idempotency_key,
            "kind": INVITATION,
            "region_id": invitee.region_id,
            "person_id": invitee.person_id,
            "to_address": address,
            "to_name": display_name(invitee.name),
            "subject": display_name(rendered.subject),
            "text_body": rendered.text,
            "html_body": rendered.html,
            "message_id": message_id_for(idempotency_key),
            "status": EmailStatus.PENDING.value,
            "attempts": 0,
            "locale": babel_locale(locale),
            "created_at": now,
            "next_attempt_at": now,
        }


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
