"""The rules of manager sign-off that depend on the calendar and on identity.

* Decisions can be taken and changed until the program's first term starts
  (midnight of ``terms[0].starts_on`` in the region's zone).
* Reminders count business days of the region (:class:`app.calendar.HolidayCalendar`).
* Strict approvals: another capability (Entra sign-in) may require the decider
  to prove who they are before a decision POST; it registers a check here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

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
