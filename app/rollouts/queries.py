"""Read side of rollouts: counts for dashboards, one grouped query each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, select

from app.auth import queries as auth_queries
from app.auth.queries import StaffName
from app.extensions import db
from app.people.models import Person
from app.programs.models import Program
from app.readcache import read_cache
from app.rollouts.models import FUNNEL, Enrollment, EnrollmentState


def state_counts(rollout_ids: Iterable[int]) -> dict[int, dict[EnrollmentState, int]]:
    """Enrollments per state for each rollout, in one query."""
    ids = list(rollout_ids)
    counts: dict[int, dict[EnrollmentState, int]] = defaultdict(
        lambda: dict.fromkeys(EnrollmentState, 0)
    )
    if not ids:
        return counts
    rows = db.session.execute(
        select(Enrollment.rollout_id, Enrollment.state, func.count())
        .where(Enrollment.rollout_id.in_(ids))
        .group_by(Enrollment.rollout_id, Enrollment.state)
    )
    for rollout_id, state, n in rows:
        counts[rollout_id][EnrollmentState(state)] = n
    return counts


@dataclass(frozen=True)
class DashboardCounts:
    """What a rollout's dashboard counts: enrollments per state and the two flags to act on."""

    states: dict[EnrollmentState, int]
    #: enrolled but no longer in the roster
    missing: int
    #: in the program (committed, time approved or active) without a buddy group
    unpaired: int
    #: in the program without a manager: the local lead signs off their time until
    #: a roster names one
    no_manager: int = 0


@read_cache.cached(reads=("enrollment", "person"))
def dashboard_counts(rollout_id: int) -> DashboardCounts:
    """Enrollments per state, missing from the roster and without a buddy: one grouped
    statement over the rollout's enrollments."""
    from app.people.models import Person
    from app.rollouts.buddies import PAIRABLE

    states = dict.fromkeys(EnrollmentState, 0)
    missing = unpaired = no_manager = 0
    rows = db.session.execute(
        select(
            Enrollment.state,
            func.count(),
            func.sum(case((Enrollment.missing_from_roster, 1), else_=0)),
            func.sum(case((Enrollment.buddy_group.is_(None), 1), else_=0)),
            func.sum(case((Person.manager_id.is_(None), 1), else_=0)),
        )
        .join(Person, Person.id == Enrollment.person_id)
        .where(Enrollment.rollout_id == rollout_id)
        .group_by(Enrollment.state)
    )
    for state, n, missing_n, no_buddy, unmanaged in rows:
        state = EnrollmentState(state)
        states[state] = n
        missing += missing_n or 0
        if state in PAIRABLE:
            unpaired += no_buddy or 0
        if state not in (EnrollmentState.REMOVED, EnrollmentState.WITHDRAWN):
            no_manager += unmanaged or 0
    return DashboardCounts(states=states, missing=missing, unpaired=unpaired, no_manager=no_manager)


@read_cache.cached(reads=("staff_user", "role_assignment"))
def local_lead_names(region_id: int) -> tuple[StaffName, ...]:
    """The region's active local leads (id, name), by name: what the dashboard lists."""
    return auth_queries.local_lead_names(region_id)


def funnel(counts: dict[EnrollmentState, int]) -> list[tuple[EnrollmentState, int]]:
    """Cumulative funnel: everyone who reached at least each stage."""
    reached = []
    for i, stage in enumerate(FUNNEL):
        reached.append((stage, sum(counts.get(s, 0) for s in FUNNEL[i:])))
    return reached


def learners_listed(
    rollout_id: int, stage: str, *, page: int, page_size: int
) -> tuple[list[Enrollment], int] | None:
    """One page of the learners behind a number of the dashboard, by name, and how many
    there are: a funnel ``stage`` (reached it), a state, ``missing`` from the last roster
    or ``no_manager``. None for a stage that is none of these."""
    stmt = select(Enrollment).join(Person).where(Enrollment.rollout_id == rollout_id)
    if stage == "missing":
        stmt = stmt.where(Enrollment.missing_from_roster)
    elif stage == "no_manager":
        stmt = stmt.where(
            Person.manager_id.is_(None),
            Enrollment.state.not_in([EnrollmentState.REMOVED, EnrollmentState.WITHDRAWN]),
        )
    elif stage in {s.value for s in FUNNEL}:
        reached = FUNNEL[[s.value for s in FUNNEL].index(stage) :]
        stmt = stmt.where(Enrollment.state.in_(reached))
    elif stage in {s.value for s in EnrollmentState}:
        stmt = stmt.where(Enrollment.state == EnrollmentState(stage))
    else:
        return None
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(
        stmt.order_by(Person.name, Enrollment.id).limit(page_size).offset((page - 1) * page_size)
    ).all()
    return list(rows), total


def learner_by_reference(rollout_id: int, reference: str) -> Enrollment | None:
    """The rollout's learner with this employee id (any case) or email, or None."""
    ref = reference.strip().lower()
    return db.session.scalars(
        select(Enrollment)
        .join(Person)
        .where(
            Enrollment.rollout_id == rollout_id,
            (func.lower(Person.employee_id) == ref) | (Person.email == ref),
        )
    ).one_or_none()


def programs_by_title() -> list[Program]:
    return list(db.session.scalars(select(Program).order_by(Program.title)))
