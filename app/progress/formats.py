"""Reading the course platforms' progress exports into one shape of record.

Every reader takes the CSV header and a row iterator and yields
:class:`ProgressRecord` values, one per learner and provider unit; nothing here
touches the database. Formats are recognised by their header
(:func:`detect_format`); Moodle's headers, completion words and dates are
localised, so its readers come from :data:`MOODLE_PROFILES` (and a region may add
its own under ``[progress.moodle]`` in its region file).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from app.progress.values import (
    TRUE_WORDS,
    fold,
    month_table,
    parse_iso,
    parse_local_date,
    parse_percent,
)

FORMATS = ("auto", "openedx", "openedx-problems", "moodle", "linkedin", "generic", "summit")

OPENEDX_IDENTITY = ("Student ID", "Email", "Username", "Grade")
OPENEDX_TRAILER = (
    "Enrollment Track",
    "Verification Status",
    "Certificate Eligible",
    "Certificate Delivered",
    "Certificate Type",
    "Enrollment Status",
)
OPENEDX_NOT_ATTEMPTED = {"not attempted", "not available", "n/a", ""}
#: Summit's own CSV (documented in the README)
SUMMIT_COLUMNS = ("employee_id", "email", "module", "percent", "completed", "observed_at")
LINKEDIN_REQUIRED = ("Email", "Content Title", "Percent Completed")


class FormatError(ValueError):
    """The file is not in the format asked for (or in none we know)."""


class ProgressRecord(NamedTuple):
    """One learner's state in one provider unit (a tuple: the bulk path makes millions)."""

    #: an email (lower-case) or an employee id, as ``learner_kind`` says
    learner: str
    learner_kind: str  # "email" | "employee_id"
    unit: str
    percent: float
    completed: bool
    #: None: the import's own time stands in (the export's generation time)
    observed_at: datetime | None


# --- Moodle profiles ----------------------------------------------------------------------


@dataclass(frozen=True)
class MoodleProfile:
    """The localised words of Moodle's activity/course completion report export."""

    language: str
    email: str
    id_number: str
    identity: tuple[str, ...]
    completed: tuple[str, ...]
    not_completed: tuple[str, ...]
    course_complete: tuple[str, ...] = ()
    months: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, data: dict[str, Any]) -> MoodleProfile:
        return cls(
            language=str(data.get("language", "custom")),
            email=str(data["email"]),
            id_number=str(data.get("id_number", "")),
            identity=tuple(data.get("identity", ())),
            completed=tuple(data.get("completed", ())),
            not_completed=tuple(data.get("not_completed", ())),
            course_complete=tuple(data.get("course_complete", ())),
            months=tuple(data.get("months", ())),
        )


MOODLE_PROFILES: tuple[MoodleProfile, ...] = (
    MoodleProfile(
        language="en",
        email="Email address",
        id_number="ID number",
        identity=("First name", "Last name", "Surname", "Name", "Username", "Department"),
        completed=("Completed", "Completed (achieved pass grade)", "Completed (passed)"),
        not_completed=("Not completed", "Completed (did not achieve pass grade)"),
        course_complete=("Course complete",),
    ),
    MoodleProfile(
        language="de",
        email="E-Mail-Adresse",
        id_number="ID-Nummer",
        identity=("Vorname", "Nachname", "Name", "Anmeldename", "Abteilung"),
        completed=("Abgeschlossen", "Abgeschlossen (bestanden)"),
        not_completed=("Nicht abgeschlossen", "Abgeschlossen (nicht bestanden)"),
        course_complete=("Kursabschluss", "Kurs abgeschlossen"),
    ),
    MoodleProfile(
        language="fr",
        email="Adresse de courriel",
        id_number="Numéro d'identification",
        identity=("Prénom", "Nom", "Nom d'utilisateur", "Département"),
        completed=("Terminé", "Terminé (note de passage obtenue)", "Achevé"),
        not_completed=("Non terminé", "Terminé (note de passage non obtenue)", "Non achevé"),
        course_complete=("Cours achevé", "Cours terminé"),
    ),
)


# --- readers ------------------------------------------------------------------------------


@dataclass
class ReadContext:
    """What a reader may need beyond the rows."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    #: the export's generation time, when the file says nothing per row
    observed_at: datetime | None = None
    moodle_profiles: tuple[MoodleProfile, ...] = MOODLE_PROFILES
    #: for the generic format: which column means what (see :func:`read_generic`)
    mapping: dict[str, Any] = field(default_factory=dict)


def _learner(email: str, employee_id: str = "") -> tuple[str, str] | None:
    if email.strip():
        return email.strip().lower(), "email"
    if employee_id.strip():
        return employee_id.strip(), "employee_id"
    return None


def read_openedx(header: list[str], rows: Iterator[list[str]], ctx: ReadContext):
    """Open edX grade report: one column per graded subsection, ``Not Attempted`` = nothing."""
    email_i = header.index("Email")
    trailer = set(OPENEDX_TRAILER) | set(OPENEDX_IDENTITY)
    units = [
        (i, name)
        for i, name in enumerate(header)
        if name not in trailer and not name.endswith("(Avg)") and name.strip()
    ]
    for row in rows:
        who = _learner(row[email_i] if email_i < len(row) else "")
        if who is None:
            continue
        for i, name in units:
            cell = row[i].strip() if i < len(row) else ""
            if cell.casefold() in OPENEDX_NOT_ATTEMPTED:
                continue
            try:
                float(cell)
            except ValueError:
                continue
            # a graded subsection with a score was submitted: the module's work is done
            yield ProgressRecord(who[0], who[1], name, 100.0, True, ctx.observed_at)


def read_openedx_problems(header: list[str], rows: Iterator[list[str]], ctx: ReadContext):
    """Open edX problem grade report: ``<subsection> - <problem> (Earned)``/``(Possible)``."""
    email_i = header.index("Email")
    by_unit: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        if name.endswith(" (Earned)"):
            problem = name[: -len(" (Earned)")]
            unit = problem.rsplit(" - ", 1)[0] if " - " in problem else problem
            by_unit.setdefault(unit, []).append(i)
    for row in rows:
        who = _learner(row[email_i] if email_i < len(row) else "")
        if who is None:
            continue
        for unit, columns in by_unit.items():
            attempted = sum(
                1
                for i in columns
                if i < len(row) and row[i].strip().casefold() not in OPENEDX_NOT_ATTEMPTED
            )
            if not attempted:
                continue
            percent = 100.0 * attempted / len(columns)
            yield ProgressRecord(
                who[0], who[1], unit, percent, attempted == len(columns), ctx.observed_at
            )


def moodle_profile_for(header: list[str], ctx: ReadContext) -> MoodleProfile | None:
    names = {h.strip() for h in header}
    for profile in ctx.moodle_profiles:
        if profile.email in names:
            return profile
    return None


def read_moodle(header: list[str], rows: Iterator[list[str]], ctx: ReadContext):
    """Moodle completion report: per activity a state column, often followed by its date."""
    profile = moodle_profile_for(header, ctx)
    if profile is None:
        raise FormatError("no Moodle email column found (set the region's Moodle profile)")
    header = [h.strip() for h in header]
    email_i = header.index(profile.email)
    id_i = header.index(profile.id_number) if profile.id_number in header else None
    skip = {profile.email, profile.id_number, *profile.identity, *profile.course_complete}
    done_words = {fold(w) for w in profile.completed}
    open_words = {fold(w) for w in profile.not_completed}
    months = month_table(["en", profile.language], profile.months)
    activities: list[tuple[int, str, int | None]] = []
    for i, name in enumerate(header):
        if not name or name in skip:
            continue
        date_i = i + 1 if i + 1 < len(header) and not header[i + 1] else None
        activities.append((i, name, date_i))
    for row in rows:
        who = _learner(
            row[email_i] if email_i < len(row) else "",
            row[id_i] if id_i is not None and id_i < len(row) else "",
        )
        if who is None:
            continue
        for i, name, date_i in activities:
            state = fold(row[i]) if i < len(row) else ""
            if state in done_words:
                completed = True
            elif state in open_words or not state:
                continue
            else:
                continue
            when = None
            if date_i is not None and date_i < len(row):
                when = parse_local_date(row[date_i], ctx.zone, months)
            yield ProgressRecord(who[0], who[1], name, 100.0, completed, when or ctx.observed_at)


def read_linkedin(header: list[str], rows: Iterator[list[str]], ctx: ReadContext):
    """LinkedIn Learning learner detail report: one row per learner and content item."""
    col = {name.strip(): i for i, name in enumerate(header)}
    months = month_table(["en"])

    def cell(row: list[str], name: str) -> str:
        i = col.get(name)
        return row[i] if i is not None and i < len(row) else ""

    for row in rows:
        who = _learner(cell(row, "Email"), cell(row, "Unique User ID"))
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
        raise FormatError("Summit CSV needs a module column and an email or employee_id column")
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
            raw = row[i_percent] if i_percent is not None else ""
            try:
                percent = max(0.0, min(100.0, float(raw)))
            except ValueError:
                percent = parse_percent(raw) or 0.0
            if percent <= 0:
                continue
        stamp = row[i_at] if i_at is not None else ""
        when = times.get(stamp)
        if when is None and stamp not in times:
            when = times[stamp] = parse_iso(stamp, ctx.zone)
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
            "percent_column or completed_column naming columns of the file"
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
    "openedx": read_openedx,
    "openedx-problems": read_openedx_problems,
    "moodle": read_moodle,
    "linkedin": read_linkedin,
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
    if "module" in lower and ({"email", "employee_id"} & lower):
        return "summit"
    if moodle_profile_for(header, ctx) is not None:
        return "moodle"
    if ctx.mapping:
        return "generic"
    raise FormatError(
        "this file's header matches no known export (Open edX grade or problem grade report, "
        "Moodle completion report, LinkedIn Learning learner report, Summit CSV); "
        "choose the generic format and say which column is which"
    )


def sniff_dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def records(
    fmt: str, header: list[str], rows: Iterator[list[str]], ctx: ReadContext
) -> Iterator[ProgressRecord]:
    if fmt not in READERS:
        raise FormatError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    names = {h.strip() for h in header}
    if fmt in ("openedx", "openedx-problems") and "Email" not in names:
        raise FormatError("an Open edX report has an Email column; this file has none")
    if fmt == "linkedin" and not set(LINKEDIN_REQUIRED) <= names:
        raise FormatError(
            "a LinkedIn Learning learner report has the columns " + ", ".join(LINKEDIN_REQUIRED)
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
