"""The evidence behind each free-rider decision, for a page of candidates: modules done
and due by the term, calls attended of those held in the term, the last activity seen,
the manager's decision on their time and the buddy's answer. Set-based: one statement
orders and pages the candidates with every figure the risk order needs, one more reads
the page's manager decisions; never a statement per learner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, select

from app.approvals.models import TimeAllocation
from app.calls.models import CallAttendance, CallSession, CallStatus
from app.extensions import db
from app.people.models import Person
from app.programs.models import Program, Term
from app.progress.models import ModuleProgress
from app.rollouts.models import Enrollment
from app.terms.models import TermReview, Verdict
from app.terms.pace import pace_for

#: the orders the review offers: the riskiest first, or by name
SORTS = ("risk", "name")


@dataclass(frozen=True)
class Evidence:
    """One candidate's row on the review page."""

    review: Any
    modules_done: int
    modules_due: int
    calls_attended: int
    calls_held: int
    last_activity: datetime | None
    #: the latest time request's status ("approved", "declined", …) and when it was decided
    manager_status: str | None
    manager_decided_at: datetime | None

    @property
    def modules_short(self) -> int:
        return max(self.modules_due - self.modules_done, 0)

    @property
    def calls_missed(self) -> int:
        return max(self.calls_held - self.calls_attended, 0)


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def candidate_evidence(
    *,
    rollout_id: int,
    program: Program,
    term: Term,
    now: datetime,
    page: int,
    per_page: int,
    sort: str = "risk",
) -> list[Evidence]:
    """The candidates of ``term`` in ``rollout_id`` (a page of them) with their evidence,
    riskiest first (most modules short of what is due, then most calls missed, then the
    oldest last activity, then the name) or by name."""
    required = sorted(pace_for(program, term).required_ids)
    due = len(required)
    # calls held in the term (not cancelled, already started): one figure for everyone
    held = (
        db.session.scalar(
            select(func.count())
            .select_from(CallSession)
            .where(
                CallSession.rollout_id == rollout_id,
                CallSession.series_date >= term.starts_on,
                CallSession.series_date <= term.ends_on,
                CallSession.status != CallStatus.CANCELLED,
                CallSession.starts_at <= now,
            )
        )
        or 0
    )
    # the candidates, found once: referenced three times, the CTE is computed once (the
    # term's reviews of every rollout of the program were scanned for each reference)
    found = (
        select(TermReview.id.label("review_id"), TermReview.enrollment_id.label("eid"))
        .join(Enrollment, Enrollment.id == TermReview.enrollment_id)
        .where(
            TermReview.term_id == term.id,
            Enrollment.rollout_id == rollout_id,
            TermReview.verdict == Verdict.FREE_RIDER_CANDIDATE,
        )
        .cte("candidates")
    )
    candidates = select(found.c.eid)
    done = (
        select(
            ModuleProgress.enrollment_id.label("eid"),
            func.sum(
                case(
                    (
                        and_(
                            ModuleProgress.completed.is_(True),
                            ModuleProgress.module_id.in_(required or [-1]),
                        ),
                        1,
                    ),
                    else_=0,
                )
            ).label("done"),
            func.max(ModuleProgress.observed_at).label("seen"),
        )
        .where(ModuleProgress.enrollment_id.in_(candidates))
        .group_by(ModuleProgress.enrollment_id)
        .subquery()
    )
    attended = (
        select(
            CallAttendance.enrollment_id.label("eid"),
            func.sum(
                case(
                    (
                        and_(
                            CallSession.series_date >= term.starts_on,
                            CallSession.series_date <= term.ends_on,
                            CallSession.status != CallStatus.CANCELLED,
                        ),
                        1,
                    ),
                    else_=0,
                )
            ).label("attended"),
            func.max(CallSession.starts_at).label("seen"),
        )
        .join(CallSession, CallSession.id == CallAttendance.session_id)
        .where(
            CallAttendance.enrollment_id.in_(candidates),
            CallAttendance.attended.is_(True),
            CallSession.rollout_id == rollout_id,
        )
        .group_by(CallAttendance.enrollment_id)
        .subquery()
    )
    done_n = func.coalesce(done.c.done, 0)
    attended_n = func.coalesce(attended.c.attended, 0)
    # the later of the two (NULLs last): portable across SQLite and PostgreSQL
    last = case(
        (done.c.seen.is_(None), attended.c.seen),
        (attended.c.seen.is_(None), done.c.seen),
        (done.c.seen >= attended.c.seen, done.c.seen),
        else_=attended.c.seen,
    )
    query = (
        select(
            TermReview.id,
            TermReview.enrollment_id,
            TermReview.buddy_requested_at,
            TermReview.buddy_confirmed_at,
            TermReview.buddy_answer,
            TermReview.buddy_answered_at,
            TermReview.at_risk_nudged_at,
            Person.name,
            Person.employee_id,
            done_n.label("modules_done"),
            attended_n.label("calls_attended"),
            last.label("last_activity"),
        )
        .select_from(found)
        .join(TermReview, TermReview.id == found.c.review_id)
        .join(Enrollment, Enrollment.id == found.c.eid)
        .join(Person, Person.id == Enrollment.person_id)
        .outerjoin(done, done.c.eid == found.c.eid)
        .outerjoin(attended, attended.c.eid == found.c.eid)
    )
    if sort == "name":
        query = query.order_by(Person.name, TermReview.id)
    else:
        query = query.order_by(
            (literal(due) - done_n).desc(),
            attended_n.asc(),
            # no activity at all is the oldest
            case((last.is_(None), 0), else_=1),
            last.asc(),
            Person.name,
            TermReview.id,
        )
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    # the manager's latest decision on each learner's time: one statement for the page
    decisions: dict[int, tuple[str, datetime | None]] = {}
    ids = [r.enrollment_id for r in rows]
    if ids:
        for eid, status, decided_at in db.session.execute(
            select(TimeAllocation.enrollment_id, TimeAllocation.status, TimeAllocation.decided_at)
            .where(TimeAllocation.enrollment_id.in_(ids))
            .order_by(TimeAllocation.requested_at, TimeAllocation.id)
        ):
            decisions[eid] = (getattr(status, "value", status), decided_at)
    return [
        Evidence(
            review=r,
            modules_done=int(r.modules_done or 0),
            modules_due=due,
            calls_attended=int(r.calls_attended or 0),
            calls_held=held,
            last_activity=_aware(_as_datetime(r.last_activity)),
            manager_status=decisions.get(r.enrollment_id, (None, None))[0],
            manager_decided_at=decisions.get(r.enrollment_id, (None, None))[1],
        )
        for r in rows
    ]


def _as_datetime(value: Any) -> datetime | None:
    """SQLite returns the CASE of two datetimes as text."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
