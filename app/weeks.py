"""ISO weeks and their end in each region's own time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: the local hour on Monday at which the weekly report goes out
SEND_HOUR = 8


def parse_week(week: str) -> tuple[int, int]:
    """``"2026-W48"`` → (2026, 48); raises ValueError on anything else."""
    year_s, sep, num_s = week.upper().partition("-W")
    if not sep or not year_s.isdigit() or not num_s.isdigit() or len(year_s) != 4:
        raise ValueError(f"not an ISO week: {week!r} (expected e.g. 2026-W48)")
    year, num = int(year_s), int(num_s)
    try:
        date.fromisocalendar(year, num, 1)
    except ValueError as exc:
        raise ValueError(f"not an ISO week: {week!r} ({year} has no week {num})") from exc
    return year, num


def week_label(day: date) -> str:
    year, num, _ = day.isocalendar()
    return f"{year}-W{num:02d}"


def week_monday(week: str) -> date:
    year, num = parse_week(week)
    return date.fromisocalendar(year, num, 1)


def shift_week(week: str, weeks: int) -> str:
    return week_label(week_monday(week) + timedelta(weeks=weeks))


def week_end(week: str, time_zone: str) -> datetime:
    """The instant the week ends in ``time_zone``: the next Monday 00:00 local, in UTC.

    Every figure of the week is counted up to this instant.
    """
    monday = week_monday(week) + timedelta(weeks=1)
    return datetime.combine(monday, time(0), tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def send_time(week: str, time_zone: str) -> datetime:
    """When the report of ``week`` goes out: the following Monday 08:00 local, in UTC."""
    monday = week_monday(week) + timedelta(weeks=1)
    return datetime.combine(monday, time(SEND_HOUR), tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def last_complete_week(now: datetime, time_zone: str) -> str:
    """The ISO week that ended most recently in ``time_zone`` at ``now``."""
    local = now.astimezone(ZoneInfo(time_zone)).date()
    return week_label(local - timedelta(days=7))
