"""The rules of manager sign-off that depend on the calendar and on identity.

* Decisions can be taken and changed until the program's first term starts
  (midnight of ``terms[0].starts_on`` in the region's zone).
* Reminders count business days: weekends and the region's public holidays
  (``holidays`` with the region's country and subdivision) are skipped.
* Strict approvals: another capability (Entra sign-in) may require the decider
  to prove who they are before a decision POST; it registers a check here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from app.programs.models import Program
from app.regions.models import Region


def region_today(region: Region, now: datetime) -> date:
    """The calendar date at ``now`` in the region's zone."""
    return now.astimezone(ZoneInfo(region.time_zone)).date()


def decisions_close_at(program: Program, region: Region) -> datetime | None:
    """The instant decisions freeze: the start of the first term in the region's zone."""
    if not program.terms:
        return None
    first = program.terms[0].starts_on
    return datetime.combine(first, time.min, tzinfo=ZoneInfo(region.time_zone))


def decisions_open(program: Program, region: Region, now: datetime) -> bool:
    closes = decisions_close_at(program, region)
    return closes is None or now < closes


@lru_cache(maxsize=256)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def is_business_day(region: Region, day: date) -> bool:
    """Monday to Friday and not a public holiday of the region's country/subdivision."""
    if day.weekday() >= 5:
        return False
    return day not in _holidays(
        region.holiday_country, region.holiday_subdivision or None, day.year
    )


def business_days_between(region: Region, start: date, end: date) -> int:
    """Business days after ``start`` up to and including ``end`` (0 when end <= start)."""
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if is_business_day(region, day):
            count += 1
        day += timedelta(days=1)
    return count


def business_days_after(region: Region, start: date, days: int) -> date:
    """The date ``days`` business days after ``start``."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if is_business_day(region, day):
            days -= 1
    return day


#: the Entra "strict approvals" check (issue 4) registers here: called with the decider
#: (a Person) and the region before a decision POST; returning a response (e.g. a redirect
#: to sign in) stops the decision, returning None lets it through.
IdentityCheck = Callable[..., Any]
_identity_checks: list[IdentityCheck] = []


def register_identity_check(check: IdentityCheck) -> None:
    """Require something more than the signed link before a decision (strict approvals)."""
    if check not in _identity_checks:
        _identity_checks.append(check)


def identity_check(*, person: Any, region: Region) -> Any:
    """The first response a registered check returns, or None to let the decision through."""
    for check in _identity_checks:
        response = check(person=person, region=region)
        if response is not None:
            return response
    return None
