"""The rules of manager sign-off that depend on the calendar and on identity.

* Decisions can be taken and changed until the program's first term starts
  (midnight of ``terms[0].starts_on`` in the region's zone).
* A request still pending then is a late one: its decider can still take it (once, no
  change afterwards) until the program's last day ends; an approval then gives study
  time from the current week onwards (:func:`weeks_left`). A late learner must not lose
  the program because their manager answered a week after the start.
* The request email asks for a decision by the last business day before the first term.
* Reminders count business days of the region (:class:`app.calendar.HolidayCalendar`).
* Strict approvals (``ENTRA_STRICT_APPROVALS``): the decider proves who they are with a
  Microsoft sign-in before a decision POST (:func:`app.auth.strict.require_signed_in_person`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import request

from app.auth.strict import require_signed_in_person
from app.calendar import HolidayCalendar
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


def late_decisions_close_at(program: Program, region: Region) -> datetime | None:
    """The instant even a pending request can no longer be decided: the end of the
    program's last day in the region's zone."""
    if not program.terms:
        return None
    return datetime.combine(
        program.ends_on + timedelta(days=1), time.min, tzinfo=ZoneInfo(region.time_zone)
    )


def can_decide(program: Program, region: Region, now: datetime, *, pending: bool) -> bool:
    """May a decision be taken now: any until the first term starts, a pending (late)
    request's first decision until the program ends."""
    if decisions_open(program, region, now):
        return True
    closes = late_decisions_close_at(program, region)
    return pending and (closes is None or now < closes)


def decide_by(program: Program, region: Region) -> date | None:
    """The deadline the request email names: the last business day of the region before
    the first term starts (decisions stay open until that day ends, and over a weekend)."""
    first = program.starts_on
    return None if first is None else HolidayCalendar.of(region).business_days_before(first, 1)


def program_weeks(program: Program) -> int | None:
    """How many weeks the program runs (a started week counts), first term to last."""
    if not program.terms:
        return None
    return max(1, -(-((program.ends_on - program.starts_on).days + 1) // 7))


def weeks_left(program: Program, day: date) -> int | None:
    """The weeks of study time an approval on ``day`` gives: all of them before the start,
    from the current week (Monday of ``day``'s week) to the last day once it started."""
    total = program_weeks(program)
    if total is None or day <= program.starts_on:
        return total
    monday = day - timedelta(days=day.weekday())
    if monday > program.ends_on:
        return 0
    return max(1, -(-((program.ends_on - monday).days + 1) // 7))


def identity_check(*, person: Any, region: Region) -> Any:
    """Before a decision POST: with strict approvals on, a browser not signed in with
    Microsoft as ``person`` is sent to sign in (back to the same page after) or gets a 403
    (someone else); returns None to let the decision through."""
    require_signed_in_person(person, return_to=request.path)
    return None
