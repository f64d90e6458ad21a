"""Calendar invitations (RFC 5545) built with ``icalendar``: one place for every invite.

Events are written in the organiser's region time zone with its VTIMEZONE, so a
client in another zone still shows the right instant. A stable UID per event and
a rising SEQUENCE let calendar clients update or cancel what they already hold.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vText,
)

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
    #: occurrences of ``rrule`` left out (their original starts; written in ``time_zone``
    #: on one EXDATE line, as Outlook itself writes them: it drops an EXDATE whose zone
    #: differs from DTSTART's)
    exdates: tuple[datetime, ...] = ()
    #: set on an override of one occurrence of a recurring event (same UID): the
    #: occurrence's original start
    recurrence_id: datetime | None = None
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
        if item.recurrence_id is not None:
            event.add("recurrence-id", item.recurrence_id.astimezone(zone))
        event.add("dtstart", item.starts_at.astimezone(zone))
        event.add("dtend", (item.starts_at + item.duration).astimezone(zone))
        if item.rrule:
            event.add("rrule", item.rrule)
        if item.exdates:
            event.add("exdate", [d.astimezone(zone) for d in sorted(item.exdates)])
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
    # the zones the events use, first as Outlook writes them, each as a yearly rule
    rules = [yearly_timezone(name) for name in sorted(cal.get_used_tzids())]
    cal.subcomponents[:0] = [rule for rule in rules if rule is not None]
    cal.add_missing_timezones()
    return cal.to_ical()


#: the POSIX TZ string at the end of a TZif file: "CET-1CEST,M3.5.0,M10.5.0/3"
_POSIX = re.compile(
    r"^(?P<std><[^>]+>|[A-Za-z]+)(?P<std_off>[+-]?\d+(?::\d+){0,2})"
    r"(?:(?P<dst><[^>]+>|[A-Za-z]+)(?P<dst_off>[+-]?\d+(?::\d+){0,2})?"
    r",M(?P<m1>\d+)\.(?P<w1>\d)\.(?P<d1>\d)(?:/(?P<t1>\d+(?::\d+){0,2}))?"
    r",M(?P<m2>\d+)\.(?P<w2>\d)\.(?P<d2>\d)(?:/(?P<t2>\d+(?::\d+){0,2}))?)?$"
)
_BYDAY = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


def _posix_rule(name: str) -> str | None:
    """The zone's current rule as its TZif file states it (the file's last line)."""
    for base in zoneinfo.TZPATH:
        path = Path(base) / name
        if path.is_file():
            data = path.read_bytes()
            break
    else:
        try:
            data = (resources.files("tzdata.zoneinfo") / name).read_bytes()
        except (ModuleNotFoundError, FileNotFoundError, OSError):
            return None
    if not data.startswith(b"TZif") or not data.endswith(b"\n"):
        return None
    return data.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("ascii", "replace")


def _onset(month: int, week: int, weekday: int, at: int) -> datetime:
    """The first onset in 1970 of "``week``-th (5: last) ``weekday`` (0: Sunday) of ``month``"."""
    first = date(1970, month, 1)
    day = first + timedelta(days=(weekday - (first.weekday() + 1) % 7) % 7)
    day += timedelta(weeks=week - 1)
    while day.month != month:
        day -= timedelta(weeks=1)
    return datetime.combine(day, datetime.min.time()) + timedelta(seconds=at)


@lru_cache(maxsize=64)
def yearly_timezone(name: str) -> Timezone | None:
    """A VTIMEZONE for ``name`` written as Outlook writes one: its current rule as a
    yearly RRULE per observance (e.g. DAYLIGHT ``RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU``).

    ``add_missing_timezones`` lists each past change as RDATEs instead; Outlook then
    cannot derive the rule for a recurring series, picks another zone of the same
    offset and shifts the summer-time occurrences by an hour (iCalcreator issue #86).
    The rule is the zone's current one, right for events from now on. None when the
    rule cannot be read (then the RDATE form is used).
    """
    text = _posix_rule(name)
    match = _POSIX.match(text or "")
    if match is None:
        return None
    g = match.groupdict()
    std_offset = -_seconds(g["std_off"])
    tz = Timezone()
    tz.add("tzid", name)
    if not g["dst"]:
        std = TimezoneStandard()
        std.add("dtstart", datetime(1970, 1, 1))  # noqa: DTZ001 (an onset is local wall time)
        std.add("tzoffsetfrom", timedelta(seconds=std_offset))
        std.add("tzoffsetto", timedelta(seconds=std_offset))
        std.add("tzname", g["std"].strip("<>"))
        tz.add_component(std)
        return tz
    dst_offset = -_seconds(g["dst_off"]) if g["dst_off"] else std_offset + 3600
    for kind, prefix, before, after, zone_name in (
        (TimezoneDaylight, "1", std_offset, dst_offset, g["dst"]),
        (TimezoneStandard, "2", dst_offset, std_offset, g["std"]),
    ):
        month, week, weekday = int(g["m" + prefix]), int(g["w" + prefix]), int(g["d" + prefix])
        at = _seconds(g["t" + prefix]) if g["t" + prefix] else 7200
        if not (1 <= month <= 12 and 1 <= week <= 5 and 0 <= weekday <= 6 and 0 <= at < 86400):
            return None
        part = kind()
        part.add("dtstart", _onset(month, week, weekday, at))
        part.add("tzoffsetfrom", timedelta(seconds=before))
        part.add("tzoffsetto", timedelta(seconds=after))
        part.add("tzname", zone_name.strip("<>"))
        part.add(
            "rrule",
            {
                "freq": "yearly",
                "bymonth": month,
                "byday": f"{-1 if week == 5 else week}{_BYDAY[weekday]}",
            },
        )
        tz.add_component(part)
    return tz
