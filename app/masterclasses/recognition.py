"""Recognition, opt-in only: a regional leaderboard and badges.

Nobody appears on a leaderboard unless they said yes (``Enrollment.leaderboard_opt_in``),
through a signed link in their emails. Badges are computed from what Summit already
knows (term reviews, call attendance, completion, the goal survey, master classes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.audit.services import record
from app.calls.models import CallAttendance
from app.extensions import db
from app.links.services import make_action_url
from app.masterclasses.models import InvitationStatus, MasterClassInvitation
from app.people.models import Person
from app.programs.models import Term
from app.rollouts.models import Enrollment, EnrollmentState, Rollout
from app.terms.models import TermReview, Verdict

OPT_IN_PURPOSE = "leaderboard-opt-in"
OPT_IN_MAX_AGE = timedelta(days=365)
#: calls attended for the "regular" badge
REGULAR_CALLS = 5


@dataclass(frozen=True)
class Badge:
    key: str
    label: str
    description: str


BADGES = {
    "finisher": Badge("finisher", "Finisher", "Completed the program"),
    "steady": Badge("steady", "Steady pace", "On track at every term review"),
    "regular": Badge("regular", "Regular", f"Attended {REGULAR_CALLS} or more expert calls"),
    "goal": Badge("goal", "Goal reached", "Reached the goal they set at the start"),
    "masterclass": Badge("masterclass", "Master class", "Attended a master class"),
}


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    enrollment_id: int
    name: str
    terms_on_pace: int
    calls_attended: int
    badges: tuple[Badge, ...]


def opt_in_url(enrollment: Enrollment) -> str:

    return make_action_url(
        endpoint="masterclasses_public.leaderboard_opt_in",
        purpose=OPT_IN_PURPOSE,
        person_id=enrollment.person_id,
        object_id=enrollment.id,
    )


def set_leaderboard_opt_in(enrollment: Enrollment, *, opt_in: bool, actor: Any = None) -> bool:
    """Record the learner's choice to appear on the leaderboard (or not); audits a change."""
    if enrollment.leaderboard_opt_in == opt_in:
        return False
    enrollment.leaderboard_opt_in = opt_in
    record(
        region_id=enrollment.region_id,
        action="recognition.opted_in" if opt_in else "recognition.opted_out",
        obj=enrollment,
        actor=actor,
        channel="link",
    )
    db.session.flush()
    return True


def leaderboard(*, region_id: int, limit: int = 50, offset: int = 0) -> list[LeaderboardRow]:
    """The region's opted-in learners still in the program, best first.

    Ranked by terms on pace (term reviews with verdict on track), then calls
    attended. One query with grouped subqueries, however many learners.
    """

    on_pace = (
        select(TermReview.enrollment_id, func.count(TermReview.id).label("n"))
        .where(TermReview.region_id == region_id, TermReview.verdict == Verdict.ON_TRACK)
        .group_by(TermReview.enrollment_id)
        .subquery()
    )
    calls = (
        select(CallAttendance.enrollment_id, func.count(CallAttendance.id).label("n"))
        .where(CallAttendance.region_id == region_id, CallAttendance.attended.is_(True))
        .group_by(CallAttendance.enrollment_id)
        .subquery()
    )
    classes = (
        select(MasterClassInvitation.enrollment_id, func.count(MasterClassInvitation.id).label("n"))
        .where(
            MasterClassInvitation.region_id == region_id,
            MasterClassInvitation.status == InvitationStatus.ATTENDED,
        )
        .group_by(MasterClassInvitation.enrollment_id)
        .subquery()
    )
    terms = (
        select(Term.program_id, func.count(Term.id).label("n")).group_by(Term.program_id).subquery()
    )
    terms_on_pace = func.coalesce(on_pace.c.n, 0)
    calls_attended = func.coalesce(calls.c.n, 0)
    stmt = (
        select(
            Enrollment.id,
            Person.name,
            Enrollment.state,
            Enrollment.goal_reached,
            terms_on_pace.label("terms_on_pace"),
            calls_attended.label("calls_attended"),
            func.coalesce(classes.c.n, 0).label("classes"),
            func.coalesce(terms.c.n, 0).label("terms"),
        )
        .join(Person, Person.id == Enrollment.person_id)
        .join(Rollout, Rollout.id == Enrollment.rollout_id)
        .outerjoin(on_pace, on_pace.c.enrollment_id == Enrollment.id)
        .outerjoin(calls, calls.c.enrollment_id == Enrollment.id)
        .outerjoin(classes, classes.c.enrollment_id == Enrollment.id)
        .outerjoin(terms, terms.c.program_id == Rollout.program_id)
        .where(
            Enrollment.region_id == region_id,
            Enrollment.leaderboard_opt_in.is_(True),
            Enrollment.state.not_in([EnrollmentState.REMOVED, EnrollmentState.WITHDRAWN]),
            Person.erased_at.is_(None),
        )
        .order_by(terms_on_pace.desc(), calls_attended.desc(), Person.name, Enrollment.id)
        .limit(limit)
        .offset(offset)
    )
    rows = []
    for position, row in enumerate(db.session.execute(stmt), start=offset + 1):
        rows.append(
            LeaderboardRow(
                rank=position,
                enrollment_id=row.id,
                name=row.name,
                terms_on_pace=row.terms_on_pace,
                calls_attended=row.calls_attended,
                badges=badges_for(
                    completed=row.state == EnrollmentState.COMPLETED,
                    terms_on_pace=row.terms_on_pace,
                    terms=row.terms,
                    calls_attended=row.calls_attended,
                    goal_reached=row.goal_reached,
                    classes_attended=row.classes,
                ),
            )
        )
    return rows


def badges_for(
    *,
    completed: bool,
    terms_on_pace: int,
    terms: int,
    calls_attended: int,
    goal_reached: str | None,
    classes_attended: int,
) -> tuple[Badge, ...]:
    """The badges a learner has earned (pure: no database)."""
    earned = []
    if completed:
        earned.append(BADGES["finisher"])
    if terms and terms_on_pace >= terms:
        earned.append(BADGES["steady"])
    if calls_attended >= REGULAR_CALLS:
        earned.append(BADGES["regular"])
    if goal_reached == "reached":
        earned.append(BADGES["goal"])
    if classes_attended:
        earned.append(BADGES["masterclass"])
    return tuple(earned)


def opted_in_count(*, region_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Enrollment.id)).where(
                Enrollment.region_id == region_id, Enrollment.leaderboard_opt_in.is_(True)
            )
        )
        or 0
    )
