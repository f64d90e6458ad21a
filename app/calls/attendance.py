"""Attendance: recorded in the UI, or read from the meeting's attendance report.

Teams exports its attendance report as UTF-16 LE with a BOM, tab-separated: a
"Meeting Summary" block, then a participants table ("Full Name"/"Name", "Join
Time"/"First Join", "Leave Time"/"Last Leave", "Duration"/"In-Meeting Duration",
"Email", "Role", "Participant ID (UPN)"), then sometimes "In-Meeting activities".
Older exports are one table "Full Name, User Action, Timestamp" with a row per
join and leave. A plain CSV "name,email,join,leave" is read too.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from app.audit.services import record
from app.calls.models import CallAttendance, CallInvitation, CallSession
from app.db import utcnow
from app.extensions import db
from app.people.models import Person, normalise_email
from app.regions.models import Region
from app.rollouts.models import Enrollment


class AttendanceFileError(ValueError):
    """The file is not an attendance report we can read (the message says what to do)."""


@dataclass
class ReportRow:
    line: int
    name: str
    email: str = ""
    upn: str = ""
    role: str = ""
    minutes: int | None = None


@dataclass
class ImportResult:
    format: str
    matched: int = 0
    hosts: int = 0
    #: (line, name, email) of rows matching nobody invited to the call
    unknown: list[tuple[int, str, str]] = field(default_factory=list)
    #: (line, name) of further rows for someone already counted (their minutes are added)
    duplicates: list[tuple[int, str]] = field(default_factory=list)


#: header names as Teams writes them in English, German and French (the exporting
#: user's language decides), and as people name them in a hand-made CSV
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
_HOST_ROLES = {
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
    """The report's text, whatever encoding Teams or a spreadsheet saved it in."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig")
    if b"\x00" in data[:400]:  # UTF-16 without its BOM
        return data.decode("utf-16-le" if data[1:2] == b"\x00" else "utf-16-be")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise AttendanceFileError(
                "The file's encoding could not be read: upload the CSV as Teams exported it."
            ) from None
        return str(best)


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


def parse_duration(value: str) -> int | None:
    """Minutes in "1h 2m 3s", "45m 10s", "1:02:03" or "62" (minutes)."""
    value = value.strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(:\d{1,2}){1,2}", value):
        parts = [int(p) for p in value.split(":")]
        if len(parts) == 2:
            parts.insert(0, 0)
        h, m, s = parts
        return h * 60 + m + (1 if s >= 30 else 0)
    units = dict.fromkeys("hms", 0)
    matched = False
    for number, unit in re.findall(r"(\d+)\s*([a-zA-Z]+)", value):
        letter = _UNITS.get(unit.lower().rstrip("."))
        if letter:
            units[letter] += int(number)
            matched = True
    if matched:
        return units["h"] * 60 + units["m"] + (1 if units["s"] >= 30 else 0)
    if value.isdigit():
        return int(value)
    return None


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


def _minutes_between(join: str, leave: str) -> int | None:
    a, b = parse_time(join), parse_time(leave)
    if a is None or b is None or b < a:
        return None
    return round((b - a).total_seconds() / 60)


def parse_report(data: bytes) -> tuple[str, list[ReportRow]]:
    """Read an attendance report into rows; returns (format name, rows)."""
    text = decode_report(data)
    lines = text.splitlines()
    sample = "\n".join(lines[:50])
    delimiter = "\t" if "\t" in sample else ";" if sample.count(";") > sample.count(",") else ","
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
        "No participants table found: upload the attendance report as Teams exports it, "
        "or a CSV with the columns name, email, join, leave."
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
        minutes = parse_duration(_cell(cells, header, "duration"))
        if minutes is None:
            minutes = _minutes_between(_cell(cells, header, "join"), _cell(cells, header, "leave"))
        out.append(
            ReportRow(
                line=first_line + offset,
                name=name,
                email=normalise_email(_cell(cells, header, "email")),
                upn=normalise_email(_cell(cells, header, "upn")),
                role=_cell(cells, header, "role").lower(),
                minutes=minutes,
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
            row.minutes = (row.minutes or 0) + round((at - start).total_seconds() / 60)
    return list(people.values())


def import_report(
    *, region: Region, session: CallSession, data: bytes, actor: object
) -> ImportResult:
    """Record attendance from an uploaded report: matched learners are marked present.

    Matching is by email, then Teams UPN, then an unambiguous full name among the
    rollout's learners. Hosts are skipped; unknown and duplicate rows are reported,
    never guessed. Uploading the same file twice changes nothing.
    """
    fmt, rows = parse_report(data)
    learners = db.session.execute(
        select(Enrollment.id, Person.email, Person.name)
        .join(Person, Person.id == Enrollment.person_id)
        .where(Enrollment.rollout_id == session.rollout_id)
    ).all()
    by_email = {email: eid for eid, email, _ in learners}
    by_name: dict[str, list[int]] = {}
    for eid, _, name in learners:
        by_name.setdefault(name.casefold(), []).append(eid)
    hosts = set(
        db.session.scalars(
            select(CallInvitation.email).where(
                CallInvitation.rollout_id == session.rollout_id, CallInvitation.role == "host"
            )
        )
    )
    result = ImportResult(format=fmt)
    minutes: dict[int, int | None] = {}
    for row in rows:
        if row.email in hosts or row.upn in hosts or row.role in _HOST_ROLES:
            result.hosts += 1
            continue
        eid = by_email.get(row.email) or by_email.get(row.upn)
        if eid is None:
            candidates = by_name.get(row.name.casefold(), [])
            eid = candidates[0] if len(candidates) == 1 else None
        if eid is None:
            result.unknown.append((row.line, row.name, row.email or row.upn))
            continue
        if eid in minutes:
            result.duplicates.append((row.line, row.name))
            if row.minutes is not None:
                minutes[eid] = (minutes[eid] or 0) + row.minutes
            continue
        minutes[eid] = row.minutes
    result.matched = len(minutes)
    store_attendance(region=region, session=session, present=minutes, absent=(), source="upload")
    record(
        region_id=region.id,
        action="calls.attendance_uploaded",
        obj=session,
        actor=actor,
        channel="web",
        data={
            "format": fmt,
            "matched": result.matched,
            "unknown": len(result.unknown),
            "duplicates": len(result.duplicates),
        },
    )
    return result


def record_attendance(
    *,
    region: Region,
    session: CallSession,
    present: Iterable[int],
    listed: Iterable[int],
    actor: object,
) -> int:
    """Record who attended from the session page: ``present`` among the ``listed`` learners.

    Only enrollments of the session's rollout count; others are ignored.
    Returns how many are marked present.
    """
    listed_ids = set(listed)
    valid = set(
        db.session.scalars(
            select(Enrollment.id).where(
                Enrollment.rollout_id == session.rollout_id, Enrollment.id.in_(listed_ids)
            )
        )
    )
    present_ids = set(present) & valid
    store_attendance(
        region=region,
        session=session,
        present=dict.fromkeys(present_ids),
        absent=valid - present_ids,
        source="web",
    )
    record(
        region_id=region.id,
        action="calls.attendance_recorded",
        obj=session,
        actor=actor,
        channel="web",
        data={"present": len(present_ids), "absent": len(valid - present_ids)},
    )
    return len(present_ids)


def store_attendance(
    *,
    region: Region,
    session: CallSession,
    present: dict[int, int | None],
    absent: Iterable[int],
    source: str,
) -> None:
    """Upsert attendance rows for one session (one read, then inserts and updates)."""
    absent = set(absent)
    existing = {
        a.enrollment_id: a
        for a in db.session.scalars(
            select(CallAttendance).where(
                CallAttendance.session_id == session.id,
                CallAttendance.enrollment_id.in_(set(present) | absent),
            )
        )
    }
    now = utcnow()
    for eid, mins in present.items():
        row = existing.get(eid)
        if row is None:
            db.session.add(
                CallAttendance(
                    region_id=region.id,
                    session_id=session.id,
                    enrollment_id=eid,
                    attended=True,
                    minutes=mins,
                    source=source,
                    recorded_at=now,
                )
            )
        else:
            row.attended, row.source, row.recorded_at = True, source, now
            if mins is not None:
                row.minutes = mins
    for eid in absent:
        row = existing.get(eid)
        if row is None:
            db.session.add(
                CallAttendance(
                    region_id=region.id,
                    session_id=session.id,
                    enrollment_id=eid,
                    attended=False,
                    source=source,
                    recorded_at=now,
                )
            )
        else:
            row.attended, row.minutes, row.source, row.recorded_at = False, None, source, now
    db.session.flush()
