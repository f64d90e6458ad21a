"""Calendar invitations (RFC 5545) built with ``icalendar``: one place for every invite.

Events are written in the organiser's region time zone with its VTIMEZONE, so a
client in another zone still shows the right instant. A stable UID per event and
a rising SEQUENCE let calendar clients update or cancel what they already hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

from app.db import utcnow

PRODID = "-//Summit//Summit orchestrator//EN"


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str = ""
    #: REQ-PARTICIPANT or OPT-PARTICIPANT (a manager may be optional on a study block)
    role: str = "REQ-PARTICIPANT"


@dataclass(frozen=True)
class InviteEvent:
    uid: str
    summary: str
    starts_at: datetime
    duration: timedelta
    time_zone: str
    sequence: int = 0
    description: str = ""
    location: str = ""
    url: str = ""
    #: e.g. "FREQ=WEEKLY;COUNT=18" for a repeating study block
    rrule: dict[str, object] | None = None
    attendees: tuple[Attendee, ...] = field(default_factory=tuple)
    cancelled: bool = False


def build_calendar(
    events: Iterable[InviteEvent],
    *,
    organizer_email: str,
    organizer_name: str = "Summit",
    method: str = "REQUEST",
) -> bytes:
    """An iCalendar file with ``method`` (REQUEST, CANCEL or PUBLISH) and the zones it uses."""
    if method not in {"REQUEST", "CANCEL", "PUBLISH"}:
        raise ValueError(f"unsupported METHOD {method}")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    for item in events:
        zone = ZoneInfo(item.time_zone)
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", utcnow())
        event.add("sequence", item.sequence)
        event.add("summary", item.summary)
        event.add("dtstart", item.starts_at.astimezone(zone))
        event.add("dtend", (item.starts_at + item.duration).astimezone(zone))
        if item.rrule:
            event.add("rrule", item.rrule)
        if item.description:
            event.add("description", item.description)
        if item.location:
            event.add("location", item.location)
        if item.url:
            event.add("url", item.url)
        event.add("status", "CANCELLED" if item.cancelled or method == "CANCEL" else "CONFIRMED")
        organizer = vCalAddress(f"mailto:{organizer_email}")
        organizer.params["cn"] = vText(organizer_name)
        event["organizer"] = organizer
        for person in item.attendees:
            attendee = vCalAddress(f"mailto:{person.email}")
            if person.name:
                attendee.params["cn"] = vText(person.name)
            attendee.params["role"] = vText(person.role)
            attendee.params["partstat"] = vText("NEEDS-ACTION")
            attendee.params["rsvp"] = vText("TRUE" if method == "REQUEST" else "FALSE")
            event.add("attendee", attendee, encode=0)
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def ics_attachment(data: bytes, *, method: str = "REQUEST", filename: str = "invite.ics") -> object:
    """The outbox attachment for an invitation (``text/calendar; method=…``)."""
    from app.mail.services import Attachment

    return Attachment(filename=filename, content_type=f"text/calendar; method={method}", data=data)
