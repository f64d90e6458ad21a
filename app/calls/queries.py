"""Read side of the calls: attendance rates and missed calls, set-based.

A learner is expected at a session when their time was approved before it
started and they had not left by then. A session counts as held once its
attendance was recorded (in the UI or by upload).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, cast, exists, func, or_, select

from app.calls.invitations import CALL_STATES
from app.calls.models import CallAttendance, CallQuestion, CallSession, CallStatus
from app.db import utcnow
from app.extensions import db
from app.people.models import Person
from app.rollouts.models import Enrollment, EnrollmentState


@dataclass(frozen=True)
class SessionRate:
    expected: int
    attended: int
    recorded: bool

    @property
    def rate(self) -> float | None:
        return self.attended / self.expected if self.recorded and self.expected else None


@dataclass(frozen=True)
class LearnerRate:
    enrollment_id: int
    name: str
    state: EnrollmentState
    held: int
    attended: int
    missed_in_a_row: int

    @property
    def rate(self) -> float | None:
        return self.attended / self.held if self.held else None


def _expected_at(starts_at: object) -> object:
    """The enrollment was expected at a session starting ``starts_at``."""
    return and_(
        Enrollment.time_approved_at.is_not(None),
        Enrollment.time_approved_at <= starts_at,
        or_(Enrollment.left_at.is_(None), Enrollment.left_at > starts_at),
    )


def _held_sessions(rollout_id: int, now: datetime) -> object:
    has_rows = exists().where(CallAttendance.session_id == CallSession.id)
    return (
        select(CallSession.id, CallSession.starts_at)
        .where(
            CallSession.rollout_id == rollout_id,
            CallSession.status == CallStatus.SCHEDULED,
            CallSession.starts_at <= now,
            has_rows,
        )
        .subquery()
    )


def session_rates(rollout_id: int, now: datetime | None = None) -> dict[int, SessionRate]:
    """Per session: learners expected, learners present, whether it was recorded (2 queries)."""
    now = now or utcnow()
    expected = dict(
        db.session.execute(
            select(CallSession.id, func.count(Enrollment.id))
            .join(
                Enrollment,
                and_(
                    Enrollment.rollout_id == CallSession.rollout_id,
                    _expected_at(CallSession.starts_at),
                ),
            )
            .where(CallSession.rollout_id == rollout_id)
            .group_by(CallSession.id)
        ).all()
    )
    present: dict[int, tuple[int, int]] = {
        sid: (attended or 0, total)
        for sid, attended, total in db.session.execute(
            select(
                CallAttendance.session_id,
                func.sum(cast(CallAttendance.attended, Integer)),
                func.count(),
            )
            .join(CallSession, CallSession.id == CallAttendance.session_id)
            .join(Enrollment, Enrollment.id == CallAttendance.enrollment_id)
            # only the expected learners count, so a rate never passes 100%
            .where(CallSession.rollout_id == rollout_id, _expected_at(CallSession.starts_at))
            .group_by(CallAttendance.session_id)
        ).all()
    }
    ids = db.session.scalars(select(CallSession.id).where(CallSession.rollout_id == rollout_id))
    return {
        sid: SessionRate(
            expected=expected.get(sid, 0),
            attended=present.get(sid, (0, 0))[0],
            recorded=sid in present,
        )
        for sid in ids
    }


def missed_calls_in_a_row(
    *, rollout_id: int, now: datetime | None = None, at_least: int = 0
) -> dict[int, int]:
    """Enrollment id → held calls missed since the learner last attended (active learners);
    with ``at_least``, only the learners who missed that many or more.

    One query whatever the number of learners.
    """
    now = now or utcnow()
    held = _held_sessions(rollout_id, now)
    last = (
        select(
            CallAttendance.enrollment_id.label("enrollment_id"),
            func.max(CallSession.starts_at).label("last_at"),
        )
        .join(CallSession, CallSession.id == CallAttendance.session_id)
        .where(CallSession.rollout_id == rollout_id, CallAttendance.attended.is_(True))
        .group_by(CallAttendance.enrollment_id)
        .subquery()
    )
    missed = func.count(held.c.id)
    statement = (
        select(Enrollment.id, missed)
        .select_from(Enrollment)
        .outerjoin(last, last.c.enrollment_id == Enrollment.id)
        .outerjoin(
            held,
            and_(
                held.c.starts_at >= Enrollment.time_approved_at,
                or_(last.c.last_at.is_(None), held.c.starts_at > last.c.last_at),
            ),
        )
        .where(Enrollment.rollout_id == rollout_id, Enrollment.state.in_(CALL_STATES))
        .group_by(Enrollment.id)
    )
    if at_least > 0:
        statement = statement.having(missed >= at_least)
    return {eid: n for eid, n in db.session.execute(statement).all()}


def learner_rates(
    *, rollout_id: int, page: int = 1, per_page: int = 50, now: datetime | None = None
) -> tuple[list[LearnerRate], int]:
    """One page of learners (by name) with held/attended calls; and the total count."""
    now = now or utcnow()
    base = select(Enrollment.id).where(
        Enrollment.rollout_id == rollout_id, Enrollment.time_approved_at.is_not(None)
    )
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    people = db.session.execute(
        select(Enrollment.id, Person.name, Enrollment.state)
        .join(Person, Person.id == Enrollment.person_id)
        .where(Enrollment.rollout_id == rollout_id, Enrollment.time_approved_at.is_not(None))
        .order_by(Person.name, Enrollment.id)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    ids = [eid for eid, _, _ in people]
    held = _held_sessions(rollout_id, now)
    held_counts = dict(
        db.session.execute(
            select(Enrollment.id, func.count(held.c.id))
            .select_from(Enrollment)
            .join(held, _expected_at(held.c.starts_at))
            .where(Enrollment.id.in_(ids))
            .group_by(Enrollment.id)
        ).all()
    )
    attended = dict(
        db.session.execute(
            select(CallAttendance.enrollment_id, func.count())
            .join(held, held.c.id == CallAttendance.session_id)
            .where(CallAttendance.enrollment_id.in_(ids), CallAttendance.attended.is_(True))
            .group_by(CallAttendance.enrollment_id)
        ).all()
    )
    missed = missed_calls_in_a_row(rollout_id=rollout_id, now=now)
    return [
        LearnerRate(
            enrollment_id=eid,
            name=name,
            state=EnrollmentState(state),
            held=held_counts.get(eid, 0),
            attended=attended.get(eid, 0),
            missed_in_a_row=missed.get(eid, 0),
        )
        for eid, name, state in people
    ], total


def overall_rate(rates: dict[int, SessionRate]) -> float | None:
    """Attendance over all recorded sessions: present / expected."""
    recorded = [r for r in rates.values() if r.recorded]
    expected = sum(r.expected for r in recorded)
    return sum(r.attended for r in recorded) / expected if expected else None


def questions_of(*, session_id: int, enrollment_id: int) -> list[CallQuestion]:
    """What one learner asked for one call, oldest first."""
    return list(
        db.session.scalars(
            select(CallQuestion)
            .where(
                CallQuestion.session_id == session_id, CallQuestion.enrollment_id == enrollment_id
            )
            .order_by(CallQuestion.id)
        )
    )


def expected_at_session(
    session: CallSession, *, page: int, per_page: int, search: str = ""
) -> list[Any]:
    """One page of the learners expected at ``session`` (name order): id, name, email;
    ``search`` keeps those whose name or email contains it (any case)."""
    query = (
        select(Enrollment.id, Person.name, Person.email)
        .join(Person, Person.id == Enrollment.person_id)
        .where(Enrollment.rollout_id == session.rollout_id, _expected_at(session.starts_at))
    )
    if search.strip():
        needle = search.strip().lower()
        query = query.where(
            func.lower(Person.name).contains(needle, autoescape=True)
            | func.lower(Person.email).contains(needle, autoescape=True)
        )
    return list(
        db.session.execute(
            query.order_by(Person.name, Enrollment.id).limit(per_page).offset((page - 1) * per_page)
        ).all()
    )


def attendance_marks(
    session_id: int, enrollment_ids: list[int]
) -> dict[int, tuple[bool, int | None]]:
    """Who of ``enrollment_ids`` was marked present (True) or absent (False) at a session,
    with the seconds the attendance report gave (None when marked by hand)."""
    return {
        eid: (attended, seconds)
        for eid, attended, seconds in db.session.execute(
            select(
                CallAttendance.enrollment_id, CallAttendance.attended, CallAttendance.seconds
            ).where(
                CallAttendance.session_id == session_id,
                CallAttendance.enrollment_id.in_(enrollment_ids),
            )
        ).all()
    }
