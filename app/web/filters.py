"""Template filters: dates in the region's zone and locale (or one given), numbers, percents."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent, parse_pattern
from flask import Flask, g


@lru_cache(maxsize=64)
def _parsed(code: str) -> Locale:
    # Babel parses a locale string on every call: a list page formats hundreds of values
    return Locale.parse(code)


def _locale() -> Locale:
    region = g.get("region")
    return _parsed(region.locale if region is not None else "en_GB")


def _code() -> str:
    region = g.get("region")
    return region.locale if region is not None else "en_GB"


# Formatting is a pure function of its arguments, and a page shows the same figures on
# every load (dashboards: 60 percentages a page): each result is kept (bounded LRU).


@lru_cache(maxsize=8192)
def _datetime(value: datetime, zone: str, fmt: str, code: str) -> str:
    return format_datetime(value, fmt, tzinfo=ZoneInfo(zone), locale=_parsed(code))


@lru_cache(maxsize=8192)
def _date(value: date, fmt: str, code: str) -> str:
    return format_date(value, fmt, locale=_parsed(code))


#: parsed once (Babel parses a pattern string on every call)
_PERCENT = parse_pattern("#,##0%")


@lru_cache(maxsize=8192)
def _percent(value: float, code: str) -> str:
    return format_percent(value, _PERCENT, locale=_parsed(code))


@lru_cache(maxsize=8192)
def _number(value: Any, code: str) -> str:
    return format_decimal(value, locale=_parsed(code))


def local_datetime(
    value: datetime | None,
    tz: str | None = None,
    fmt: str = "medium",
    locale: str | None = None,
) -> str:
    """An instant in ``tz`` (the region's by default) and ``locale`` (the region's by
    default; a learner's page passes the learner's, see ``app.mail.rendering.page_locale``)."""
    if value is None:
        return "—"
    region = g.get("region")
    zone = tz or (region.time_zone if region is not None else "UTC")
    return _datetime(value, zone, fmt, locale or _code())


def local_date(value: date | None, fmt: str = "medium", locale: str | None = None) -> str:
    return "—" if value is None else _date(value, fmt, locale or _code())


def percent(value: float | None) -> str:
    return "—" if value is None else _percent(value, _code())


def number(value: Any) -> str:
    if value is None:
        return "—"
    try:
        return _number(value, _code())
    except TypeError:  # not hashable: format it as it is
        return format_decimal(value, locale=_locale())


def init_app(app: Flask) -> None:
    app.add_template_filter(local_datetime)
    app.add_template_filter(local_date)
    app.add_template_filter(percent)
    app.add_template_filter(number)
