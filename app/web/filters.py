"""Template filters: dates in the region's zone and locale, numbers, percentages."""

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


def local_datetime(value: datetime | None, tz: str | None = None, fmt: str = "medium") -> str:
    if value is None:
        return "—"
    region = g.get("region")
    zone = ZoneInfo(tz or (region.time_zone if region is not None else "UTC"))
    return format_datetime(value, fmt, tzinfo=zone, locale=_locale())


def local_date(value: date | None, fmt: str = "medium") -> str:
    return "—" if value is None else format_date(value, fmt, locale=_locale())


#: parsed once (Babel parses a pattern string on every call)
_PERCENT = parse_pattern("#,##0%")


def percent(value: float | None) -> str:
    return "—" if value is None else format_percent(value, _PERCENT, locale=_locale())


def number(value: Any) -> str:
    return "—" if value is None else format_decimal(value, locale=_locale())


def init_app(app: Flask) -> None:
    app.add_template_filter(local_datetime)
    app.add_template_filter(local_date)
    app.add_template_filter(percent)
    app.add_template_filter(number)
