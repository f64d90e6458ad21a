"""Regions as files: validate ``regions/*.toml`` and upsert them, all or nothing."""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import holidays
from babel import Locale, UnknownLocaleError
from sqlalchemy import select

from app.calendar import parse_hhmm, parse_shutdowns, weekday_from_name
from app.extensions import db
from app.regions.models import HolidayRule, Region, ReportingPolicy

log = logging.getLogger(__name__)

CODE_RE = re.compile(r"^[a-z][a-z0-9-]{1,31}$")


class RegionFileError(ValueError):
    """One or more region files are invalid; ``problems`` lists file, field and reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class RegionSpec:
    code: str
    values: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)


def _get(data: dict[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def parse_region_file(path: Path) -> RegionSpec:
    """Read and validate one region file; raise RegionFileError naming each bad field."""
    problems: list[str] = []

    def bad(field_name: str, message: str) -> None:
        problems.append(f"{path.name}: {field_name}: {message}")

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RegionFileError([f"{path.name}: not valid TOML ({exc})"]) from exc

    code = path.stem
    if not CODE_RE.match(code):
        bad("(file name)", f"{code!r} must be lower-case letters, digits or '-' (e.g. de, us-east)")

    def required_str(key: str) -> str:
        value = _get(data, key)
        if not isinstance(value, str) or not value.strip():
            bad(key, "is required (a non-empty string)")
            return ""
        return value.strip()

    name = required_str("name")
    tz = required_str("time_zone")
    if tz and tz not in available_timezones():
        bad("time_zone", f"{tz!r} is not an IANA time zone (e.g. Europe/Berlin)")
    locale = required_str("locale")
    if locale:
        try:
            Locale.parse(locale)
        except (UnknownLocaleError, ValueError):
            bad("locale", f"{locale!r} is not a known locale (e.g. de_DE, en_US)")
    country = _get(data, "holidays.country")
    subdivision = _get(data, "holidays.subdivision")
    if not isinstance(country, str) or not country:
        bad("holidays.country", "is required (ISO 3166 code, e.g. DE)")
    else:
        try:
            holidays.country_holidays(country, subdiv=subdivision or None, years=2026)
        except NotImplementedError:
            bad("holidays.country", f"{country!r} is not a country the holidays library knows")
        except ValueError as exc:
            bad("holidays.subdivision", str(exc))

    policy = _get(data, "reporting_policy") or "named"
    if policy not in {p.value for p in ReportingPolicy}:
        bad("reporting_policy", f"{policy!r} must be 'named' or 'aggregate'")

    cadence = _get(data, "reminders.cadence_business_days")
    cadence = 3 if cadence is None else cadence
    if not isinstance(cadence, int) or not 1 <= cadence <= 30:
        bad("reminders.cadence_business_days", f"{cadence!r} must be a whole number from 1 to 30")
    escalate = _get(data, "reminders.escalate_after")
    escalate = 2 if escalate is None else escalate
    if not isinstance(escalate, int) or not 0 <= escalate <= 10:
        bad("reminders.escalate_after", f"{escalate!r} must be a whole number from 0 to 10")

    raw_weekday = _get(data, "calls.weekday") or "thursday"
    weekday = weekday_from_name(raw_weekday)
    if weekday is None:
        bad("calls.weekday", f"{raw_weekday!r} must be a weekday name (monday … sunday)")
    raw_time = _get(data, "calls.time") or "16:00"
    call_time = parse_hhmm(raw_time)
    if call_time is None:
        bad("calls.time", f"{raw_time!r} is not a time of day (HH:MM, e.g. 16:00)")
    duration = _get(data, "calls.duration_minutes") or 45
    if not isinstance(duration, int) or not 15 <= duration <= 240:
        bad("calls.duration_minutes", f"{duration!r} must be minutes from 15 to 240")
    on_holiday = _get(data, "calls.on_holiday") or HolidayRule.NEXT_BUSINESS_DAY.value
    if on_holiday not in {r.value for r in HolidayRule}:
        bad("calls.on_holiday", f"{on_holiday!r} must be 'next_business_day' or 'cancel'")
    for problem in parse_shutdowns(_get(data, "calls.shutdowns"))[1]:
        bad("calls.shutdowns", problem)
    min_minutes = _get(data, "calls.min_attendance_minutes")
    if min_minutes is not None and (
        isinstance(min_minutes, bool)
        or not isinstance(min_minutes, int)
        or not 0 <= min_minutes <= 240
    ):
        bad("calls.min_attendance_minutes", f"{min_minutes!r} must be minutes from 0 to 240")
    retention = _get(data, "privacy.retention_days")
    retention = 365 if retention is None else retention
    if not isinstance(retention, int) or not 30 <= retention <= 3650:
        bad("privacy.retention_days", f"{retention!r} must be days from 30 to 3650")

    max_age_days = _get(data, "progress.max_age_days")
    if max_age_days is not None and (
        isinstance(max_age_days, bool)
        or not isinstance(max_age_days, int)
        or not 1 <= max_age_days <= 90
    ):
        bad("progress.max_age_days", f"{max_age_days!r} must be days from 1 to 90")

    journey_day = _get(data, "journey.weekday")
    if journey_day is not None and weekday_from_name(journey_day) is None:
        bad("journey.weekday", f"{journey_day!r} must be a weekday name (monday … sunday)")
    journey_time = _get(data, "journey.time")
    if journey_time is not None and parse_hhmm(journey_time) is None:
        bad("journey.time", f"{journey_time!r} is not a time of day (HH:MM, e.g. 08:00)")

    if problems:
        raise RegionFileError(problems)
    return RegionSpec(
        code=code,
        values={
            "name": name,
            "time_zone": tz,
            "locale": locale,
            "holiday_country": country,
            "holiday_subdivision": subdivision or None,
            "reminder_cadence_days": cadence,
            "escalate_after_reminders": escalate,
            "call_weekday": weekday,
            "call_time": call_time,
            "call_duration_minutes": duration,
            "call_on_holiday": HolidayRule(on_holiday),
            "reporting_policy": ReportingPolicy(policy),
            "retention_days": retention,
        },
        extra=data,
    )


def load_region_files(directory: Path) -> list[RegionSpec]:
    """Validate every ``*.toml`` under ``directory``; collect every problem before failing."""
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        raise RegionFileError([f"{directory}: no region files (*.toml) found"])
    specs: list[RegionSpec] = []
    problems: list[str] = []
    for path in paths:
        try:
            specs.append(parse_region_file(path))
        except RegionFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RegionFileError(problems)
    return specs


def sync_regions(*, directory: Path) -> list[Region]:
    """Upsert every region file into the database (flushes; the caller commits).

    Validates all files first, so one bad file changes nothing at all.
    Regions whose file was removed are kept: their rollouts and history stay.
    """
    specs = load_region_files(directory)
    existing = {r.code: r for r in db.session.scalars(select(Region))}
    synced = []
    for spec in specs:
        region = existing.get(spec.code) or Region(code=spec.code)
        for key, value in spec.values.items():
            setattr(region, key, value)
        region.settings = _jsonable(spec.extra)
        db.session.add(region)
        synced.append(region)
    db.session.flush()
    log.info("synced %s region files from %s", len(synced), directory)
    return synced


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):  # a TOML date (a shutdown's bound)
        return value.isoformat()
    return value


def zone(region: Region) -> ZoneInfo:
    return ZoneInfo(region.time_zone)
