"""Reading the course platforms' progress exports into one shape of record.

Every reader takes the CSV header and a row iterator and yields
:class:`ProgressRecord` values, one per learner and provider unit; nothing here
touches the database. Formats are recognised by their header
(:func:`detect_format`). Open edX's readers are in ``openedx.py``, Moodle's (localised,
from :data:`MOODLE_PROFILES`, and a region may add its own under ``[progress.moodle]`` in
its region file) in ``moodle.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

from app.calendar import parse_instant
from app.progress.moodle import MOODLE_PROFILES, MoodleProfile, profile_for, read_moodle
from app.progress.openedx import read_grade_report, read_problem_grade_report
from app.progress.reading import FormatError, ProgressRecord, ReadContext, learner
from app.progress.texts import FORMAT_NAMES, error_code
from app.progress.udemy import UDEMY_REQUIRED, read_udemy
from app.progress.values import (
    TRUE_WORDS,
    fold,
    month_table,
    parse_local_date,
    parse_percent,
    summit_percent,
)

FORMATS = (
    "auto",
    "openedx",
    "openedx-problems",
    "moodle",
    "linkedin",
    "udemy",
    "generic",
    "summit",
)

#: Summit's own CSV (documented in the README)
SUMMIT_COLUMNS = ("employee_id", "email", "module", "percent", "completed", "observed_at")
LINKEDIN_REQUIRED = ("Email", "Content Title", "Percent Completed")


def read_linkedin(header: list[str], rows: Iterator[list[str]], ctx: ReadContext):
    """LinkedIn Learning learner detail report: one row per learner and content item."""
    col = {name.strip(): i for i, name in enumerate(header)}
    months = month_table(["en"])

    def cell(row: list[str], name: str) -> str:
        i = col.get(name)
        return row[i] if i is not None and i < len(row) else ""

    for row in rows:
        who = learner(cell(row, "Email"), cell(row, "Unique User ID"))
        if who is None:
            continue
        percent = parse_percent(cell(row, "Percent Completed")) or 0.0
        completed_on = parse_local_date(
            cell(row, "Completion Date"), ctx.zone, months, day_first=False
        )
        last_seen = parse_local_date(
            cell(row, "Last Viewed Date") or cell(row, "Last Engagement Date"),
            ctx.zone,
            months,
            day_first=False,
        )
        completed = completed_on is not None or percent >= 100
        if not completed and percent <= 0:
            continue
        yield ProgressRecord(
            who[0],
            who[1],
            cell(row, "Content Title"),
            100.0 if completed else percent,
            completed,
            max((d for d in (completed_on, last_seen) if d), default=None) or ctx.observed_at,
        )


def read_summit(header: list[str], rows: Iterator[list[str]], ctx: ReadContext):
    """Summit CSV: ``employee_id,email,module,percent,completed,observed_at``."""
    col = {name.strip().lower(): i for i, name in enumerate(header)}
    if "module" not in col or not ({"email", "employee_id"} & col.keys()):
        raise FormatError(
            "Summit CSV needs a module column and an email or employee_id column",
            code=error_code("not_format", "summit", "module", "email / employee_id"),
        )
    # plain indexes and cached parses: this reader is the bulk path (a million rows a week)
    width = len(header)
    i_email, i_emp = col.get("email"), col.get("employee_id")
    i_module, i_percent = col["module"], col.get("percent")
    i_done, i_at = col.get("completed"), col.get("observed_at")
    times: dict[str, datetime | None] = {}
    for row in rows:
        if len(row) < width:
            row = row + [""] * (width - len(row))
        email = row[i_email].strip() if i_email is not None else ""
        if email:
            learner, kind = email.lower(), "email"
        else:
            learner = row[i_emp].strip() if i_emp is not None else ""
            kind = "employee_id"
        unit = row[i_module].strip()
        if not learner or not unit:
            continue
        completed = i_done is not None and row[i_done].strip().casefold() in TRUE_WORDS
        if completed:
            percent = 100.0
        else:
            # the fast path's rule (values.summit_percent): "0,75" is 0.75 %, "nan" nothing
            percent = summit_percent(row[i_percent]) if i_percent is not None else None
            if not percent:
                continue
            completed = percent >= 100  # "completed true, or 100 %", as every format
        stamp = row[i_at] if i_at is not None else ""
        when = times.get(stamp)
        if when is None and stamp not in times:
            when = times[stamp] = parse_instant(stamp, ctx.zone)
        yield ProgressRecord(learner, kind, unit, percent, completed, when or ctx.observed_at)


GENERIC_KEYS = (
    "learner_column",
    "learner_kind",
    "unit_column",
    "percent_column",
    "completed_column",
    "completed_values",
    "observed_at_column",
)


def read_generic(header: list[str], rows: Iterator[list[str]], ctx: ReadContext):
    """Any long CSV (one row per learner and unit), read through ``ctx.mapping``.

    Mapping keys: ``learner_column`` and ``learner_kind`` ("email" | "employee_id"),
    ``unit_column``, ``percent_column`` and/or ``completed_column`` (with
    ``completed_values``, the words that mean done), ``observed_at_column`` (optional).
    """
    mapping = ctx.mapping
    col = {name.strip(): i for i, name in enumerate(header)}
    missing = [
        mapping.get(k)
        for k in ("learner_column", "unit_column")
        if not mapping.get(k) or mapping.get(k) not in col
    ]
    if missing or not (mapping.get("percent_column") or mapping.get("completed_column")):
        raise FormatError(
            "the generic format needs a mapping: learner_column, unit_column and a "
            "percent_column or completed_column naming columns of the file",
            code=error_code("unknown_header"),
        )
    kind = mapping.get("learner_kind", "email")
    done_words = {fold(w) for w in mapping.get("completed_values", ["completed", "yes", "true"])}
    months = month_table(["en", "de", "fr"])

    def cell(row: list[str], key: str) -> str:
        i = col.get(mapping.get(key) or "")
        return row[i] if i is not None and i < len(row) else ""

    for row in rows:
        raw = cell(row, "learner_column").strip()
        if not raw:
            continue
        learner = raw.lower() if kind == "email" else raw
        percent = parse_percent(cell(row, "percent_column")) or 0.0
        completed = fold(cell(row, "completed_column")) in done_words or percent >= 100
        if not completed and percent <= 0:
            continue
        when = parse_local_date(cell(row, "observed_at_column"), ctx.zone, months)
        yield ProgressRecord(
            learner,
            kind,
            cell(row, "unit_column"),
            100.0 if completed else percent,
            completed,
            when or ctx.observed_at,
        )


READERS = {
    "openedx": read_grade_report,
    "openedx-problems": read_problem_grade_report,
    "moodle": read_moodle,
    "linkedin": read_linkedin,
    "udemy": read_udemy,
    "summit": read_summit,
    "generic": read_generic,
}


def detect_format(header: list[str], ctx: ReadContext) -> str:
    """The format of a file from its header row; FormatError when none fits."""
    names = {h.strip() for h in header}
    lower = {h.lower() for h in names}
    if {"Student ID", "Email", "Username"} <= names:
        if any(h.endswith(" (Earned)") for h in names):
            return "openedx-problems"
        if "Grade" in names:
            return "openedx"
    if set(LINKEDIN_REQUIRED) <= names:
        return "linkedin"
    if set(UDEMY_REQUIRED) <= names:
        return "udemy"
    if "module" in lower and ({"email", "employee_id"} & lower):
        return "summit"
    if profile_for(header, ctx) is not None:
        return "moodle"
    if ctx.mapping:
        return "generic"
    raise FormatError(
        "this file's header matches no known export (Open edX grade or problem grade report, "
        "Moodle completion report, LinkedIn Learning learner report, Udemy Business user course "
        "activity report, Summit CSV); "
        "choose the generic format and say which column is which",
        code="unknown_header",
    )


def check_chosen_format(fmt: str, header: list[str], ctx: ReadContext) -> None:
    """A file uploaded as one platform's export but recognisably another's is refused (read
    as the wrong one, its columns would be taken for modules or not read at all)."""
    if fmt in ("auto", "generic"):
        return
    try:
        detected = detect_format(header, ReadContext(moodle_profiles=ctx.moodle_profiles))
    except FormatError:
        return
    if detected not in (fmt, "generic"):
        raise FormatError(
            f"this file is a {FORMAT_NAMES.get(detected, detected)}, not a "
            f"{FORMAT_NAMES.get(fmt, fmt)}; import it with --format auto",
            code=error_code("wrong_format", detected, fmt),
        )


def records(
    fmt: str, header: list[str], rows: Iterator[list[str]], ctx: ReadContext
) -> Iterator[ProgressRecord]:
    if fmt not in READERS:
        raise FormatError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    check_chosen_format(fmt, header, ctx)
    names = {h.strip() for h in header}
    if fmt in ("openedx", "openedx-problems") and "Email" not in names:
        raise FormatError(
            "an Open edX report has an Email column; this file has none",
            code=error_code("not_format", fmt, "Email"),
        )
    if fmt == "linkedin" and not set(LINKEDIN_REQUIRED) <= names:
        raise FormatError(
            "a LinkedIn Learning learner report has the columns " + ", ".join(LINKEDIN_REQUIRED),
            code=error_code("not_format", fmt, *sorted(set(LINKEDIN_REQUIRED) - names)),
        )
    if fmt == "udemy" and not set(UDEMY_REQUIRED) <= names:
        raise FormatError(
            "a Udemy Business user course activity report has the columns "
            + ", ".join(UDEMY_REQUIRED),
            code=error_code("not_format", fmt, *sorted(set(UDEMY_REQUIRED) - names)),
        )
    yield from READERS[fmt](header, rows, ctx)


_EDX_STAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2})-(\d{2})(\d{2})")


def observed_at_from_filename(filename: str) -> datetime | None:
    """Open edX names reports ``…_grade_report_2026-10-05-1047.csv`` (UTC)."""
    match = _EDX_STAMP.search(filename)
    if not match:
        return None
    y, m, d, hh, mm = (int(g) for g in match.groups())
    try:
        return datetime(y, m, d, hh, mm, tzinfo=UTC)
    except ValueError:
        return None


__all__ = [
    "FORMATS",
    "GENERIC_KEYS",
    "MOODLE_PROFILES",
    "FormatError",
    "MoodleProfile",
    "ProgressRecord",
    "ReadContext",
    "detect_format",
    "observed_at_from_filename",
    "records",
]
