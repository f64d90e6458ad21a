"""Pure calendar arithmetic for the call series: no database, easy to test.

Local wall time is what people agreed on ("Thursdays at 16:00 Berlin time"), so
each session is built from its local date and time in the region's zone and only
then converted to UTC: a DST change moves the UTC instant, never the local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.calendar import HolidayCalendar, Shutdown, parse_shutdowns, shutdown_on
from app.regions.models import HolidayRule, Region


@dataclass(frozen=True)
class PlannedSession:
    #: the date the weekly rhythm puts the session on
    series_date: date
    #: the local date it actually takes place on (moved after a public holiday)
    held_on: date
    starts_at: datetime
    cancelled: bool = False
    note: str | None = None


def region_shutdowns(region: Region) -> tuple[Shutdown, ...]:
    """The region file's ``[calls] shutdowns`` (validated when the file was synced)."""
    calls = (region.settings or {}).get("calls") or {}
    return parse_shutdowns(calls.get("shutdowns"))[0]


def local_instant(day: date, at: time, zone: str) -> datetime:
    """``day`` at local wall time ``at`` in ``zone``, as an aware UTC datetime.

    A wall time skipped by a spring-forward change resolves to the later offset
    (zoneinfo's ``fold=0`` rule), which is what calendar clients do too.
    """
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def first_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def plan_series(
    *,
    start: date,
    end: date,
    weekday: int,
    at: time,
    zone: str,
    country: str,
    subdivision: str | None,
    on_holiday: HolidayRule,
    shutdowns: tuple[Shutdown, ...] = (),
    shutdown_note: str = "Company shutdown",
) -> list[PlannedSession]:
    """Every weekly session from ``start`` to ``end`` (inclusive), holidays and company
    shutdowns applied: a week whose call falls in a shutdown has no call (a cancelled
    session, EXDATE in calendars), and a call moved off a public holiday is never moved
    into a shutdown (it is cancelled instead). Never a call on a holiday or in a shutdown.
    """
    sessions: list[PlannedSession] = []
    calendar = HolidayCalendar(country, subdivision)
    day = first_on_or_after(start, weekday)
    while day <= end:
        sessions.append(
            _session_of_week(day, at, zone, calendar, on_holiday, shutdowns, shutdown_note)
        )
        day += timedelta(weeks=1)
    return sessions


def _session_of_week(
    day: date,
    at: time,
    zone: str,
    calendar: HolidayCalendar,
    on_holiday: HolidayRule,
    shutdowns: tuple[Shutdown, ...],
    shutdown_note: str,
) -> PlannedSession:
    """The week's session planned for ``day``: as is, cancelled (a shutdown, a holiday under
    the cancel rule, or a holiday whose next business day is in a shutdown) or moved."""

    def cancelled(note: str) -> PlannedSession:
        return PlannedSession(day, day, local_instant(day, at, zone), cancelled=True, note=note)

    shutdown = shutdown_on(shutdowns, day)
    if shutdown is not None:
        return cancelled(shutdown.name or shutdown_note)
    name = calendar.holiday_name(day)
    if name is None:
        return PlannedSession(day, day, local_instant(day, at, zone))
    if on_holiday is HolidayRule.CANCEL:
        return cancelled(name)
    moved = calendar.next_business_day(day)
    blocked = shutdown_on(shutdowns, moved)
    if blocked is not None:
        return cancelled(f"{name}; {blocked.name or shutdown_note}")
    return PlannedSession(
        day, moved, local_instant(moved, at, zone), note=f"{name}: moved from {day.isoformat()}"
    )
