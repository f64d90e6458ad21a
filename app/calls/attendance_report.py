"""Reading a meeting's attendance report into rows, whatever Teams version or language.

Teams exports its attendance report as UTF-16 LE with a BOM, tab-separated: a
summary block ("1. Summary" / "Meeting Summary"), then a participants table
("Full Name"/"Name", "Join Time"/"First Join", "Leave Time"/"Last Leave",
"Duration"/"In-Meeting Duration", "Email", "Role", "Participant ID (UPN)"), then
sometimes "In-Meeting activities" (ignored: it repeats people). Older exports are
one table "Full Name, User Action, Timestamp" with a row per join and leave. A plain
CSV "name,email,join,leave" (comma or semicolon, any encoding) is read too.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime

from app.language import _
from app.people.models import normalise_email
from app.tabular import TabularError, decode, sniff_delimiter


class AttendanceFileError(ValueError):
    """The file is not an attendance report we can read (the message says what to do)."""


@dataclass
class ReportRow:
    line: int
    name: str
    email: str = ""
    upn: str = ""
    role: str = ""
    #: time in the meeting as the report gives it (None: not in the report)
    seconds: int | None = None

    @property
    def minutes(self) -> int | None:
        return to_minutes(self.seconds)


_COLUMNS = {
    "name": (
        "full name",
        "name",
        "participant",
        "display name",
        "participant name",
        "vollständiger name",
        "teilnehmer",
        "nom complet",
        "nom",
        "participant(e)",
    ),
    "email": (
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "e-mail-adresse",
        "adresse e-mail",
        "courrier",
    ),
    "upn": (
        "participant id (upn)",
        "upn",
        "user principal name",
        "teilnehmer-id (upn)",
        "id du participant (upn)",
    ),
    "join": (
        "join time",
        "first join",
        "join",
        "joined",
        "first join time",
        "beitrittszeit",
        "erster beitritt",
        "heure d'arrivée",
        "première arrivée",
    ),
    "leave": (
        "leave time",
        "last leave",
        "leave",
        "left",
        "last leave time",
        "zeitpunkt des verlassens",
        "letztes verlassen",
        "heure de départ",
        "dernier départ",
    ),
    "duration": (
        "duration",
        "in-meeting duration",
        "attendance duration",
        "time in meeting",
        "dauer",
        "dauer in der besprechung",
        "durée",
        "durée dans la réunion",
    ),
    "role": ("role", "rolle", "rôle"),
    "action": ("user action", "action", "benutzeraktion", "action de l'utilisateur"),
    "timestamp": ("timestamp", "time", "zeitstempel", "horodatage"),
}
_TIME_FORMATS = (
    "%m/%d/%Y, %I:%M:%S %p",
    "%m/%d/%y, %I:%M:%S %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y, %I:%M %p",
    "%m/%d/%Y, %H:%M:%S",
    "%d/%m/%Y, %H:%M:%S",
    "%d.%m.%Y, %H:%M:%S",
    "%d.%m.%y, %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%H:%M:%S",
    "%H:%M",
)
_JOINED = ("join", "beigetreten", "a rejoint")
_LEFT = ("left", "verlassen", "a quitté")
_UNITS = {
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "std", "stunde", "stunden"), "h"),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "minuten"), "m"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds", "sek", "sekunden"), "s"),
}
HOST_ROLES = {
    "organizer",
    "organiser",
    "presenter",
    "co-organizer",
    "organisator",
    "referent",
    "organisateur",
    "présentateur",
}


def decode_report(data: bytes) -> str:
    """The report's text, whatever encoding Teams or a spreadsheet saved it in
    (:mod:`app.tabular`'s rule)."""
    try:
        return decode(data)
    except TabularError as exc:
        raise AttendanceFileError(
            _("The file's encoding could not be read: upload the CSV as Teams exported it.")
        ) from exc


def _key(cell: str) -> str:
    return " ".join(cell.strip().strip("\ufeff").lower().split())


def _header_map(cells: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        k = _key(cell)
        for column, names in _COLUMNS.items():
            if k in names and column not in found:
                found[column] = i
    return found


def parse_duration_seconds(value: str) -> int | None:
    """Seconds in "1h 2m 3s", "45m 10s", "1:02:03" or "62" (minutes)."""
    value = value.strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(:\d{1,2}){1,2}", value):
        parts = [int(p) for p in value.split(":")]
        if len(parts) == 2:
            parts.insert(0, 0)
        h, m, s = parts
        return h * 3600 + m * 60 + s
    units = dict.fromkeys("hms", 0)
    matched = False
    for number, unit in re.findall(r"(\d+)\s*([a-zA-Z]+)", value):
        letter = _UNITS.get(unit.lower().rstrip("."))
        if letter:
            units[letter] += int(number)
            matched = True
    if matched:
        return units["h"] * 3600 + units["m"] * 60 + units["s"]
    if value.isdigit():
        return int(value) * 60
    return None


def to_minutes(seconds: int | None) -> int | None:
    """Whole minutes, half a minute rounded up (what the reports show)."""
    return None if seconds is None else (seconds + 30) // 60


def parse_duration(value: str) -> int | None:
    """Minutes in "1h 2m 3s", "45m 10s", "1:02:03" or "62" (minutes)."""
    return to_minutes(parse_duration_seconds(value))


def parse_time(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(value, fmt)  # noqa: DTZ007 (only differences are used)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)


def _seconds_between(join: str, leave: str) -> int | None:
    a, b = parse_time(join), parse_time(leave)
    if a is None or b is None or b < a:
        return None
    return round((b - a).total_seconds())


def parse_report(data: bytes) -> tuple[str, list[ReportRow]]:
    """Read an attendance report into rows; returns (format name, rows)."""
    text = decode_report(data)
    lines = text.splitlines()
    sample = "\n".join(lines[:50])
    delimiter = sniff_delimiter(sample)
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    for index, cells in enumerate(rows):
        header = _header_map(cells)
        if "name" not in header:
            continue
        if "action" in header and "timestamp" in header:
            return "teams-legacy", _legacy_rows(rows[index + 1 :], header, index + 2)
        if {"email", "upn", "join", "duration"} & header.keys():
            name = "teams" if delimiter == "\t" else "csv"
            return name, _table_rows(rows[index + 1 :], header, index + 2)
    raise AttendanceFileError(
        _(
            "No participants table found: upload the attendance report as Teams exports it, "
            "or a CSV with the columns name, email, join, leave."
        )
    )


def _cell(cells: list[str], header: dict[str, int], column: str) -> str:
    i = header.get(column)
    return cells[i].strip() if i is not None and i < len(cells) else ""


def _table_rows(rows: list[list[str]], header: dict[str, int], first_line: int) -> list[ReportRow]:
    out = []
    for offset, cells in enumerate(rows):
        if not any(c.strip() for c in cells):
            break  # the end of the participants section
        if len(cells) == 1 and re.match(r"^\d+\.\s", cells[0].strip()):
            break  # "3. In-Meeting activities"
        name = _cell(cells, header, "name")
        if not name:
            continue
        seconds = parse_duration_seconds(_cell(cells, header, "duration"))
        if seconds is None:
            seconds = _seconds_between(_cell(cells, header, "join"), _cell(cells, header, "leave"))
        out.append(
            ReportRow(
                line=first_line + offset,
                name=name,
                email=normalise_email(_cell(cells, header, "email")),
                upn=normalise_email(_cell(cells, header, "upn")),
                role=_cell(cells, header, "role").lower(),
                seconds=seconds,
            )
        )
    return out


def _legacy_rows(rows: list[list[str]], header: dict[str, int], first_line: int) -> list[ReportRow]:
    """One row per join/leave event: pair them per name into minutes present."""
    people: dict[str, ReportRow] = {}
    open_since: dict[str, datetime] = {}
    for offset, cells in enumerate(rows):
        name = _cell(cells, header, "name")
        if not name:
            continue
        action = _cell(cells, header, "action").lower()
        at = parse_time(_cell(cells, header, "timestamp"))
        row = people.setdefault(name.casefold(), ReportRow(line=first_line + offset, name=name))
        if action.startswith(_JOINED) and at is not None:
            open_since[name.casefold()] = at
        elif action.startswith(_LEFT) and at is not None and name.casefold() in open_since:
            start = open_since.pop(name.casefold())
            row.seconds = (row.seconds or 0) + round((at - start).total_seconds())
    return list(people.values())
