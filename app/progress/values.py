"""Reading names, percentages, booleans and localised dates as course platforms write them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.calendar import parse_instant

TRUE_WORDS = {"1", "true", "yes", "y", "x", "completed", "complete", "done", "passed"}


# --- names --------------------------------------------------------------------------------

_PREFIX = re.compile(r"^\s*[^\W\d_][\w .'-]{0,30}?\s*\d+[a-z]?\s*[:.)-]\s+", re.IGNORECASE)


def fold(value: str) -> str:
    """Case- and accent-insensitive form of a name, punctuation collapsed to spaces."""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[\W_]+", " ", plain.casefold()).split())


def unit_key(name: str) -> str:
    """The matching key of a provider unit: ``Homework 3: Event-driven design`` → the title's."""
    return fold(_PREFIX.sub("", name, count=1))


# --- values -------------------------------------------------------------------------------


#: a Summit CSV's percentage: digits, a decimal point or comma, an optional "%" (no sign,
#: exponent, "nan" or "inf"). The COPY fast path checks the same pattern in SQL
#: (:data:`SUMMIT_PERCENT_SQL`, in :mod:`app.progress.staging`); the row-by-row reader with
#: :func:`summit_percent`, so both read every cell alike
_SUMMIT_PERCENT = r"[0-9]+([.,][0-9]+)?\s*%?"
SUMMIT_PERCENT_SQL = f"^{_SUMMIT_PERCENT}$"
_SUMMIT_PERCENT_RE = re.compile(_SUMMIT_PERCENT)


@lru_cache(maxsize=4096)
def summit_percent(value: str) -> float | None:
    """A Summit CSV's percentage cell (``75``, ``12,5``, ``40 %``), at most 100; None when
    it is not one. Spaces around it are trimmed, as PostgreSQL's ``trim`` does. (Cached:
    a file's rows share a few percentages, and the reader runs per row.)"""
    text = value.strip(" ")
    if _SUMMIT_PERCENT_RE.fullmatch(text) is None:
        return None
    return min(100.0, float(text.rstrip("% ").replace(",", ".")))


def parse_percent(value: str) -> float | None:
    """``75``, ``75%``, ``75,5 %``, ``0.75`` (a fraction when ≤ 1 and written with a point)."""
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    had_sign = text.endswith("%")
    text = text.rstrip("%").replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None
    if not had_sign and 0 <= number <= 1 and "." in text:
        number *= 100
    return max(0.0, min(100.0, number))


def parse_bool(value: str) -> bool:
    return value.strip().casefold() in TRUE_WORDS


MONTHS = {
    "en": "january february march april may june july august september october november december",
    "de": "januar februar märz april mai juni juli august september oktober november dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
}
_DATE_TOKENS = re.compile(
    r"(?P<day>\d{1,2})\.?\s+(?P<month>[^\W\d_]+)\.?\s+(?P<year>\d{4}|\d{2}(?!\d))"
    r"(?:[,\s]+(?:um\s+|à\s+)?(?P<hour>\d{1,2})[:h](?P<minute>\d{2})\s*(?P<ampm>am|pm)?)?",
    re.IGNORECASE,
)
_NUMERIC_DATE = re.compile(
    r"(?P<a>\d{1,4})[./-](?P<b>\d{1,2})[./-](?P<c>\d{2,4})"
    r"(?:[,\sT]+(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>am|pm)?)?",
    re.IGNORECASE,
)


def parse_local_date(
    value: str, zone: ZoneInfo, months: dict[str, int], day_first: bool = True
) -> datetime | None:
    """A localised date as Moodle or LinkedIn write it, in ``zone``; None if unreadable.

    ``Thursday, 1 October 2026, 10:42 AM``, ``Donnerstag, 1. Oktober 2026, 10:42``,
    ``jeudi 1 octobre 2026, 10:42``, ``01/10/2026``, ``2026-10-01`` all read.
    """
    text = value.strip()
    if not text or text in {"-", "—"}:
        return None
    iso = parse_instant(text, zone)
    if iso is not None:
        return iso
    hour = minute = 0
    match = _DATE_TOKENS.search(text)
    if match and fold(match["month"]) in months:
        day, month, year = int(match["day"]), months[fold(match["month"])], int(match["year"])
        year += 2000 if year < 100 else 0  # Moodle's French short dates: "05 oct. 26, 10:42"
    else:
        match = _NUMERIC_DATE.search(text)
        if not match:
            return None
        a, b, c = match["a"], match["b"], match["c"]
        if len(a) == 4:
            year, month, day = int(a), int(b), int(c)
        else:
            year = int(c) + (2000 if len(c) == 2 else 0)
            day, month = (int(a), int(b)) if day_first else (int(b), int(a))
    if match["hour"]:
        hour, minute = int(match["hour"]), int(match["minute"])
        if match["ampm"]:
            hour = hour % 12 + (12 if match["ampm"].lower() == "pm" else 0)
    try:
        return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(UTC)
    except ValueError:
        return None


def month_table(languages: Iterable[str], extra: Iterable[str] = ()) -> dict[str, int]:
    table: dict[str, int] = {}
    for lang in languages:
        for i, name in enumerate(MONTHS.get(lang, "").split(), start=1):
            # full, and abbreviated as strftime's %b writes them ("oct.", "févr.", "juil.")
            table[fold(name)] = i
            table[fold(name)[:3]] = i
            table[fold(name)[:4]] = i
    for i, name in enumerate(extra, start=1):
        table[fold(name)] = i
    return table
