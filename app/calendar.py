"""The calendar rules every capability shares: business days and public holidays, the
weekday names, and the HH:MM times people type (core layer: imports nothing of the app).

One home for each rule, so the reminders of sign-off and base camp, the call series and
the region files cannot drift apart again:

* a business day is Monday to Friday and not a public holiday of the region's country
  and subdivision (``holidays``); an empty subdivision means the whole country, an
  empty country means weekends only;
* weekdays are numbered as Python does (Monday = 0); region files and settings name
  them in English lower case (``monday`` … ``sunday``);
* a time of day is ``H:MM`` or ``HH:MM`` (a browser's time input may add ``:SS``, which
  is accepted and dropped): nothing else, no time zone, no hour 24;
* an instant written in ISO 8601 (course exports, xAPI, LRS and Moodle APIs, the command
  line) keeps its ``Z`` or offset; one written without is in the zone the caller names
  (the region's for an export, UTC for an API); it comes back aware, in UTC, or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Protocol

import holidays
from babel.dates import get_day_names

#: weekday keys as region files and settings write them, Monday = 0 (``date.weekday()``)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_HHMM = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


def weekday_from_name(name: object) -> int | None:
    """The weekday number of an English day name (any case, surrounding spaces ignored)."""
    key = str(name).strip().lower()
    return WEEKDAYS.index(key) if key in WEEKDAYS else None


def weekday_names(lang: str = "en") -> tuple[str, ...]:
    """The seven day names, Monday first, in ``lang`` ("Monday" … in English)."""
    try:
        names = get_day_names("wide", locale=lang or "en")
    except (ValueError, LookupError):
        names = get_day_names("wide", locale="en")
    return tuple(names[i] for i in range(7))


def parse_hhmm(value: object) -> time | None:
    """``H:MM`` / ``HH:MM`` (optionally ``:SS``, dropped) as a naive time, else None."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if not isinstance(value, str):
        return None
    match = _HHMM.fullmatch(value.strip())
    if match is None:
        return None
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute)


def parse_instant(value: object, zone: tzinfo = UTC) -> datetime | None:
    """An ISO 8601 date-time (or date) as an aware UTC datetime; without an offset it is
    read in ``zone``. None for anything else (empty, unreadable, not a string)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


class HolidayPlace(Protocol):
    """Anything that says whose public holidays apply (a Region does)."""

    holiday_country: str
    holiday_subdivision: str | None


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str | None, year: int) -> dict[date, str]:
    if not country:
        return {}
    return dict(holidays.country_holidays(country, subdiv=subdivision, years=year).items())


@dataclass(frozen=True)
class HolidayCalendar:
    """Business days and public holidays of one country (and subdivision)."""

    country: str
    subdivision: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "country", (self.country or "").strip())
        object.__setattr__(self, "subdivision", (self.subdivision or "").strip() or None)

    @classmethod
    def of(cls, place: HolidayPlace) -> HolidayCalendar:
        """The calendar of a region (or anything with ``holiday_country``/``_subdivision``)."""
        return cls(place.holiday_country, place.holiday_subdivision)

    def holiday_name(self, day: date) -> str | None:
        """The public holiday's name on ``day``, or None."""
        return _holidays(self.country, self.subdivision, day.year).get(day)

    def is_business_day(self, day: date) -> bool:
        """Monday to Friday and not a public holiday."""
        return day.weekday() < 5 and self.holiday_name(day) is None

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def business_days_before(self, day: date, n: int) -> date:
        """The business day ``n`` business days before ``day``."""
        while n > 0:
            day -= timedelta(days=1)
            if self.is_business_day(day):
                n -= 1
        return day

    def business_days_after(self, day: date, n: int) -> date:
        """The business day ``n`` business days after ``day``."""
        while n > 0:
            day += timedelta(days=1)
            if self.is_business_day(day):
                n -= 1
        return day

    def business_days_between(self, start: date, end: date) -> int:
        """Business days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count = 0
        day = start + timedelta(days=1)
        while day <= end:
            count += self.is_business_day(day)
            day += timedelta(days=1)
        return count


@dataclass(frozen=True)
class Shutdown:
    """A company shutdown: ``start`` to ``end`` inclusive. Written ``MM-DD`` it comes back
    every year (``12-24`` to ``01-01`` spans the new year); ``YYYY-MM-DD`` is one time."""

    start: str
    end: str
    name: str = ""

    def covers(self, day: date) -> bool:
        if len(self.start) == 10:
            return date.fromisoformat(self.start) <= day <= date.fromisoformat(self.end)
        md = day.strftime("%m-%d")
        if self.start <= self.end:
            return self.start <= md <= self.end
        return md >= self.start or md <= self.end  # across the new year


_MMDD = re.compile(r"(\d{2})-(\d{2})")


def _shutdown_bound(value: object) -> str | None:
    """``MM-DD`` or ``YYYY-MM-DD`` (a TOML date too) as that string, else None."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if not isinstance(value, str):
        return None
    value = value.strip()
    match = _MMDD.fullmatch(value)
    if match:
        try:
            date(2024, int(match[1]), int(match[2]))  # a leap year: 02-29 is a day
        except ValueError:
            return None
        return value
    try:
        return date.fromisoformat(value).isoformat() if len(value) == 10 else None
    except ValueError:
        return None


def parse_shutdowns(raw: object) -> tuple[tuple[Shutdown, ...], list[str]]:
    """A region file's ``[calls] shutdowns`` (a list of ``{from, to, name}``) as shutdowns,
    with a problem per bad entry (both bounds ``MM-DD``, or both ``YYYY-MM-DD``, in order)."""
    if raw is None:
        return (), []
    if not isinstance(raw, list):
        return (), ["must be a list of {from = ..., to = ..., name = ...}"]
    found, problems = [], []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            problems.append(f"entry {i + 1} must be a table {{from = ..., to = ...}}")
            continue
        start = _shutdown_bound(entry.get("from"))
        end = _shutdown_bound(entry.get("to", entry.get("from")))
        if start is None or end is None or len(start) != len(end):
            problems.append(
                f"entry {i + 1}: from and to must both be MM-DD (every year) "
                "or both YYYY-MM-DD (once)"
            )
            continue
        if len(start) == 10 and end < start:
            problems.append(f"entry {i + 1}: to ({end}) is before from ({start})")
            continue
        found.append(Shutdown(start, end, str(entry.get("name") or "").strip()))
    return tuple(found), problems


def shutdown_on(shutdowns: tuple[Shutdown, ...], day: date) -> Shutdown | None:
    """The company shutdown that covers ``day``, or None."""
    return next((s for s in shutdowns if s.covers(day)), None)
