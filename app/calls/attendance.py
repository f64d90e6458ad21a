"""Attendance: recorded on the session page, or from the meeting's attendance report
(read by :mod:`app.calls.attendance_report`); matched to learners, never guessed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from app.audit.services import record
from app.calls.attendance_report import (
    HOST_ROLES,
    AttendanceFileError,
    parse_report,
    to_minutes,
)
from app.calls.models import CallAttendance, CallInvitation, CallSession
from app.db import utcnow
from app.extensions import db
from app.people.models import Person
from app.regions.models import Region
from app.rollouts.models import Enrollment

__all__ = [
    "AttendanceFileError",
    "ImportResult",
    "import_report",
    "min_attendance_minutes",
    "record_attendance",
]

#: ``[calls] min_attendance_minutes`` when a region file does not say: a short visit
#: (joined by mistake, left at once) is not attending a call
DEFAULT_MIN_ATTENDANCE_MINUTES = 10


def min_attendance_minutes(region: Region) -> int:
    """The minutes in the meeting, per the report, from which a learner counts as present."""
    calls = (region.settings or {}).get("calls") or {}
    value = calls.get("min_attendance_minutes", DEFAULT_MIN_ATTENDANCE_MINUTES)
    if isinstance(value, bool) or not isinstance(value, int):
        return DEFAULT_MIN_ATTENDANCE_MINUTES
    return value


def counts_as_present(seconds: int | None, minimum: int) -> bool:
    """The one rule: a report that gives no time counts (the person was there); a time
    under the minimum does not."""
    return seconds is None or seconds >= minimum * 60


@dataclass
class ImportResult:
    format: str
    matched: int = 0
    hosts: int = 0
    #: (line, name, email) of rows matching nobody invited to the call
    unknown: list[tuple[int, str, str]] = field(default_factory=list)
    #: (line, name) of further rows for someone already counted (their minutes are added)
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    #: (name, seconds) of learners in the report for less than the region's minimum
    too_short: list[tuple[str, int]] = field(default_factory=list)
    minimum: int = DEFAULT_MIN_ATTENDANCE_MINUTES


#: header names as Teams writes them in English, German and French (the exporting
#: user's language decides), and as people name them in a hand-made CSV


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
    result = ImportResult(format=fmt, minimum=min_attendance_minutes(region))
    seconds: dict[int, int | None] = {}
    names: dict[int, str] = {}
    for row in rows:
        if row.email in hosts or row.upn in hosts or row.role in HOST_ROLES:
            result.hosts += 1
            continue
        eid = by_email.get(row.email) or by_email.get(row.upn)
        if eid is None:
            candidates = by_name.get(row.name.casefold(), [])
            eid = candidates[0] if len(candidates) == 1 else None
        if eid is None:
            result.unknown.append((row.line, row.name, row.email or row.upn))
            continue
        if eid in seconds:
            result.duplicates.append((row.line, row.name))
            if row.seconds is not None:
                seconds[eid] = (seconds[eid] or 0) + row.seconds
            continue
        seconds[eid] = row.seconds
        names[eid] = row.name
    present = {e: s for e, s in seconds.items() if counts_as_present(s, result.minimum)}
    short = {e: s or 0 for e, s in seconds.items() if e not in present}
    result.matched = len(present)
    result.too_short = sorted((names[e], s) for e, s in short.items())
    store_attendance(region=region, session=session, present=present, absent=short, source="upload")
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
            "too_short": len(result.too_short),
            "min_attendance_minutes": result.minimum,
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
    absent: Iterable[int] | dict[int, int],
    source: str,
) -> None:
    """Upsert attendance rows for one session (one read, then inserts and updates).

    ``present`` maps enrollment ids to the seconds a report gave (None: marked by hand);
    ``absent`` may map them to the seconds of a visit too short to count."""
    short = dict(absent) if isinstance(absent, dict) else {}
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
    for eid, secs in present.items():
        row = existing.get(eid)
        if row is None:
            db.session.add(
                CallAttendance(
                    region_id=region.id,
                    session_id=session.id,
                    enrollment_id=eid,
                    attended=True,
                    minutes=to_minutes(secs),
                    seconds=secs,
                    source=source,
                    recorded_at=now,
                )
            )
        else:
            row.attended, row.source, row.recorded_at = True, source, now
            if secs is not None:
                row.minutes, row.seconds = to_minutes(secs), secs
    for eid in absent:
        row = existing.get(eid)
        if row is None:
            db.session.add(
                CallAttendance(
                    region_id=region.id,
                    session_id=session.id,
                    enrollment_id=eid,
                    attended=False,
                    minutes=to_minutes(short.get(eid)),
                    seconds=short.get(eid),
                    source=source,
                    recorded_at=now,
                )
            )
        else:
            row.attended, row.source, row.recorded_at = False, source, now
            row.minutes, row.seconds = to_minutes(short.get(eid)), short.get(eid)
    db.session.flush()
