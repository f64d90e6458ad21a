"""The rules of manager sign-off that depend on the calendar and on identity.

* Decisions can be taken and changed until the program's first term starts
  (midnight of ``terms[0].starts_on`` in the region's zone).
* Reminders count business days of the region (:class:`app.calendar.HolidayCalendar`).
* Strict approvals (``ENTRA_STRICT_APPROVALS``): the decider proves who they are with a
  Microsoft sign-in before a decision POST (:func:`app.auth.strict.require_signed_in_person`).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import request

from app.auth.strict import require_signed_in_person
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


def identity_check(*, person: Any, region: Region) -> Any:
    """Before a decision POST: with strict approvals on, a browser not signed in with
    Microsoft as ``person`` is sent to sign in (back to the same page after) or gets a 403
    (someone else); returns None to let the decision through."""
    require_signed_in_person(person, return_to=request.path)
    return None
