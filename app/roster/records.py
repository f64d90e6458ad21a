"""One record of a roster file as a staging row: values normalised (emails, names, locales,
time zones, yes/no), or the first error found, as a reason code of :mod:`app.roster.texts`."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from app.people.models import normalise_email
from app.roster.files import RawRecord

EMAIL_RE = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]{2,}$")
LOCALE_RE = re.compile(r"^([a-zA-Z]{2,3})(?:[_-]([a-zA-Z]{2}|\d{3}))?$")
YES = {"", "yes", "y", "true", "1", "x", "ja", "j", "oui", "o", "si", "sí"}
NO = {"no", "n", "false", "0", "nein", "non", "-"}
#: what SuccessFactors' user data file writes for someone without a manager
NO_MANAGER = {"NO_MANAGER", "NO_MGR", "NONE", "N/A", "-"}
STAGING_COLUMNS = (
    "line",
    "employee_id",
    "email",
    "name",
    "name_key",
    "name_alt",
    "manager_ref",
    "manager_email",
    "manager_name",
    "manager_name_key",
    "locale",
    "time_zone",
    "buddy",
    "learner",
    "error",
    "error_column",
)
MANAGER_EMAIL = STAGING_COLUMNS.index("manager_email")
MANAGER_NAME_KEY = STAGING_COLUMNS.index("manager_name_key")


def normalise_value(value: str) -> str:
    """How the filter compares a cell with the values chosen."""
    return " ".join(str(value).split()).casefold()


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1024)
def _locale(text: str) -> str | None:
    """A locale cell as stored ("de-de" → "de_DE"), or None when it is none (a file has
    a few distinct values: read once each)."""
    match = LOCALE_RE.match(text)
    if match is None:
        return None
    return match.group(1).lower() + (f"_{match.group(2).upper()}" if match[2] else "")


def display_name(text: str) -> str:
    """ "Müller,  Anna" → "Anna Müller"; "Anna  Müller" → "Anna Müller"."""
    text = " ".join(text.split())
    if "," in text and text.count(",") == 1:
        last, first = (part.strip() for part in text.split(","))
        if last and first:
            return f"{first} {last}"
    return text


def name_key(text: str) -> str:
    """How names are compared: display form, case-insensitive."""
    return display_name(text).casefold()


def clean_record(record: RawRecord, columns: set[str]) -> tuple[Any, ...]:
    """One staging row from a file record: normalised values, or the first error found."""
    v = record.values
    employee_id = v.get("employee_id", "")[:64]
    email = normalise_email(v.get("email", ""))
    first, last = v.get("first_name", ""), v.get("last_name", "")
    name = v.get("name") or (f"{first} {last}" if first and last else first or last)
    name = display_name(name)[:200]
    # "DUBOIS Camille": the other order, when the file says which part is which
    name_alt = f"{last} {first}".casefold() if first and last else None
    manager = v.get("manager_id") or v.get("manager", "")
    manager_email = v.get("manager_email", "")
    manager_name = v.get("manager_name", "")
    if manager:
        if "@" in manager:
            manager_email, manager = manager_email or manager, v.get("manager_id", "")
        elif manager == employee_id or manager.upper() in NO_MANAGER:
            manager = ""  # the top of the organisation
        elif " " in manager and not manager_name and "manager_id" not in columns:
            manager_name, manager = manager, ""  # "Müller, Anna" in a Manager column
    if manager_email:
        manager_email = normalise_email(manager_email)[:320]
        if manager_email == email or not EMAIL_RE.match(manager_email):
            manager_email = ""
    if manager_name:
        manager_name = display_name(manager_name)[:200]
    locale = v.get("locale", "")
    zone = v.get("time_zone", "")
    buddy = v.get("buddy", "")[:320] or None
    learner_text = v.get("learner", "").casefold()
    error = column = None
    if not employee_id:
        error, column = "missing_id", "employee_id"
    elif not email:
        error, column = "missing_email", "email"
    elif len(email) > 320 or not EMAIL_RE.match(email):
        error, column = "invalid_email", "email"
    elif not name:
        error, column = "missing_name", "name" if "name" in columns else "first_name"
    elif learner_text not in YES and learner_text not in NO:
        error, column = "learner_yes_no", "learner"
    if locale:
        known = _locale(locale)
        if known is not None:
            locale = known
        elif error is None:
            error, column = "unknown_locale", "locale"
    if zone and zone not in _zones() and error is None:
        error, column = "unknown_zone", "time_zone"
    return (
        record.line,
        employee_id or None,
        email or None,
        name or None,
        name.casefold() or None,
        name_alt,
        manager[:320] or None,
        manager_email or None,
        manager_name or None,
        manager_name.casefold() or None,
        locale or None,
        zone or None,
        buddy,
        learner_text not in NO,
        error,
        column,
    )
