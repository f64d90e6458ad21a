"""One set of filters for pages and emails: dates, times, numbers, percentages, hours and
durations in the reader's locale and time zone (Babel)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import (
    format_date,
    format_datetime,
    format_skeleton,
    format_time,
    get_datetime_format,
    get_day_names,
)
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit
from jinja2 import pass_context

from app.language.locales import _parse, current_locale, current_time_zone

# --- formatting: one set of filters ----------------------------------------------------
# A page shows the same figures on every load (dashboards: 60 percentages a page) and
# Babel parses locales and patterns on every call: each result is kept (bounded LRU).


@lru_cache(maxsize=128)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _aware(value: datetime) -> datetime:
    # timestamp columns hold UTC; a naive one is read as UTC, never as the server's zone
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@lru_cache(maxsize=8192)
def _datetime(value: datetime, fmt: str, zone: str, code: str) -> str:
    return format_datetime(value, fmt, tzinfo=ZoneInfo(zone), locale=_parse(code))


@lru_cache(maxsize=8192)
def _date(value: date, fmt: str, code: str) -> str:
    return format_date(value, fmt, locale=_parse(code))


@lru_cache(maxsize=8192)
def _time(value: time, fmt: str, code: str) -> str:
    return format_time(value, fmt, locale=_parse(code))


_HOURS = "#,##0.#"


@lru_cache(maxsize=8192)
def _percent(value: float, code: str) -> str:
    return format_percent(value, locale=_parse(code))  # the locale's pattern: 87 % in de


@lru_cache(maxsize=8192)
def _number(value: Any, code: str) -> str:
    return format_decimal(value, locale=_parse(code))


@lru_cache(maxsize=4096)
def _unit(value: float, unit: str, length: str, code: str) -> str:
    return format_unit(value, unit, length, format=_HOURS, locale=_parse(code))


def _legacy(fmt: str, tz: str | None) -> tuple[str, str | None]:
    # issue 23: staff pages still call local_datetime(zone, "short") (the old web order)
    # until they move to the catalogs; a zone name where the format goes is that order
    if fmt in _zones() and (tz is None or tz not in _zones()):
        return tz or "medium", fmt
    return fmt, tz


@lru_cache(maxsize=8192)
def _date_and_time(value: datetime, date_fmt: str, time_fmt: str, zone: str, code: str) -> str:
    # Babel's format_datetime gives both parts one length ("medium" shows seconds); this
    # joins a date and a time of their own lengths as the locale joins them
    locale = _parse(code)
    local = value.astimezone(ZoneInfo(zone))
    pattern = str(get_datetime_format(date_fmt, locale=locale)).replace("'", "")
    return pattern.replace("{0}", format_time(local, time_fmt, locale=locale)).replace(
        "{1}", format_date(local.date(), date_fmt, locale=locale)
    )


def local_datetime(
    value: datetime | None,
    format: str = "medium",
    tz: str | None = None,
    locale: str | None = None,
    *,
    fmt: str | None = None,
    time: str | None = None,
) -> str:
    """An instant in the reader's time zone (``tz``) and locale; "—" for none. ``time``
    ("short": no seconds) gives the time its own length beside a ``format`` date length:
    ``local_datetime("full", time="short")`` is "Thursday, 10 December 2026 at 11:00"."""
    if value is None:
        return "—"
    format, tz = _legacy(fmt or format, tz)
    zone, code = tz or current_time_zone(), locale or current_locale()
    if time is not None:
        return _date_and_time(_aware(value), format, time, zone, code)
    return _datetime(_aware(value), format, zone, code)


def local_date(
    value: date | datetime | None,
    format: str = "medium",
    tz: str | None = None,
    locale: str | None = None,
) -> str:
    """A calendar date; an instant is first converted to the reader's time zone."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = _aware(value).astimezone(ZoneInfo(tz or current_time_zone())).date()
    return _date(value, format, locale or current_locale())


@lru_cache(maxsize=4096)
def _day_month(value: date, code: str) -> str:
    return format_skeleton("MMMd", value, locale=_parse(code))


def day_month(
    value: date | datetime | None, tz: str | None = None, locale: str | None = None
) -> str:
    """A day without its year, as the locale writes it (a chart's axis): "Dec 6", "6. Dez.",
    "12月6日"; an instant is first converted to the reader's time zone."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = _aware(value).astimezone(ZoneInfo(tz or current_time_zone())).date()
    return _day_month(value, locale or current_locale())


def local_time(
    value: datetime | time | None,
    format: str = "short",
    tz: str | None = None,
    locale: str | None = None,
) -> str:
    """The time of day of an instant (in the reader's zone) or of a wall-clock time."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = _aware(value).astimezone(ZoneInfo(tz or current_time_zone())).time()
    return _time(value, format, locale or current_locale())


def number(value: Any, locale: str | None = None) -> str:
    if value is None:
        return "—"
    code = locale or current_locale()
    try:
        return _number(value, code)
    except TypeError:  # not hashable: format it as it is
        return format_decimal(value, locale=_parse(code))


def percent(value: float | None, locale: str | None = None) -> str:
    """0.87 → "87 %" (de), "87%" (en)."""
    return "—" if value is None else _percent(value, locale or current_locale())


def hours(value: float | None, length: str = "short", locale: str | None = None) -> str:
    """48 → "48 hr" (en), "48 Std." (de); 1.5 → "1,5 h" (fr); ``length``: short, long, narrow."""
    if value is None:
        return "—"
    return _unit(float(value), "duration-hour", length, locale or current_locale())


def weeks(value: float | None, length: str = "long", locale: str | None = None) -> str:
    """A number of weeks with its unit: 16 → "16 weeks" (en), "16 Wochen" (de)."""
    if value is None:
        return "—"
    return _unit(float(value), "duration-week", length, locale or current_locale())


def duration(
    value: timedelta | float | None, length: str = "long", locale: str | None = None
) -> str:
    """A span: minutes (a number) or a timedelta; whole hours say hours ("2 hours"), the
    rest minutes ("90 minutes")."""
    if value is None:
        return "—"
    minutes = value.total_seconds() / 60 if isinstance(value, timedelta) else float(value)
    code = locale or current_locale()
    if minutes and minutes % 60 == 0:
        return _unit(minutes / 60, "duration-hour", length, code)
    return _unit(minutes, "duration-minute", length, code)


def weekday(value: int, width: str = "wide", locale: str | None = None) -> str:
    """A day of the week by number (0 is Monday, as ``date.weekday()``): "Thursday"."""
    return get_day_names(width, locale=_parse(locale or current_locale()))[int(value)]


def language_name(value: str, locale: str | None = None) -> str:
    """A language by code, in the reader's language: "de" → "German" (English reader)."""
    parsed = _parse(value)
    name = parsed.get_display_name(_parse(locale or current_locale())) if parsed else None
    return name or value


def languages(values: Any, locale: str | None = None) -> str:
    """Languages by code as one phrase of the reader's language: "German and English"."""
    reader = _parse(locale or current_locale())
    return format_list([language_name(v, locale) for v in values], locale=reader)


FILTERS = {
    "local_datetime": local_datetime,
    "local_date": local_date,
    "local_time": local_time,
    "day_month": day_month,
    "number": number,
    "percent": percent,
    "hours": hours,
    "duration": duration,
    "weeks": weeks,
    "weekday": weekday,
    "language_name": language_name,
    "languages": languages,
}


def _at_render(function: Callable[..., str]) -> Callable[..., str]:
    """The filter for Jinja, which must call it when rendering: a pure filter on a literal
    (``{{ 0.5|percent }}``) is folded at compile time, in whichever locale compiled it."""

    @functools.wraps(function)
    @pass_context
    def at_render(_context: Any, value: Any, *args: Any, **kwargs: Any) -> str:
        return function(value, *args, **kwargs)

    return at_render
