"""Read side of rollouts: counts for dashboards, one grouped query each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Row, and_, case, false, func, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from app.auth import queries as auth_queries
from app.auth.queries import StaffName
from app.db import UTCDateTime, constant_rows
from app.extensions import db
from app.people.models import Person
from app.programs.models import Program
from app.rates import ratio
from app.readcache import read_cache
from app.regions.models import Region
from app.rollouts.buddies import PAIRABLE
from app.rollouts.models import FUNNEL, Enrollment, EnrollmentState
from app.weeks import last_complete_week, shift_week, week_end


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
    #: on the roster, not emailed an invitation yet (a draft's learners, or a launch's
    #: invitations still being queued)
    not_invited: int = 0


@read_cache.cached(reads=("enrollment", "person"))
def dashboard_counts(rollout_id: int) -> DashboardCounts:
    """Enrollments per state, missing from the roster and without a buddy: one grouped
    statement over the rollout's enrollments."""

    states = dict.fromkeys(EnrollmentState, 0)
    missing = unpaired = no_manager = not_invited = 0
    rows = db.session.execute(
        select(
            Enrollment.state,
            func.count(),
            func.sum(case((Enrollment.missing_from_roster, 1), else_=0)),
            func.sum(case((Enrollment.buddy_group.is_(None), 1), else_=0)),
            func.sum(case((Person.manager_id.is_(None), 1), else_=0)),
            func.sum(case((Enrollment.invited_at.is_(None), 1), else_=0)),
        )
        .join(Person, Person.id == Enrollment.person_id)
        .where(Enrollment.rollout_id == rollout_id)
        .group_by(Enrollment.state)
    )
    for state, n, missing_n, no_buddy, unmanaged, uninvited in rows:
        state = EnrollmentState(state)
        if state is EnrollmentState.INVITED:
            not_invited += uninvited or 0
        states[state] = n
        missing += missing_n or 0
        if state in PAIRABLE:
            unpaired += no_buddy or 0
        if state not in (EnrollmentState.REMOVED, EnrollmentState.WITHDRAWN):
            no_manager += unmanaged or 0
    return DashboardCounts(
        states=states,
        missing=missing,
        unpaired=unpaired,
        no_manager=no_manager,
        not_invited=not_invited,
    )


@read_cache.cached(reads=("staff_user", "role_assignment"))
def local_lead_names(region_id: int) -> tuple[StaffName, ...]:
    """The region's active local leads (id, name), by name: what the dashboard lists."""
    return auth_queries.local_lead_names(region_id)


def funnel(
    counts: dict[EnrollmentState, int], not_invited: int = 0
) -> list[tuple[EnrollmentState, int]]:
    """Cumulative funnel: everyone who reached at least each stage; learners on the roster
    not emailed yet (``not_invited``) have reached none."""
    reached = []
    for i, stage in enumerate(FUNNEL):
        reached.append((stage, sum(counts.get(s, 0) for s in FUNNEL[i:])))
    if reached and not_invited:
        reached[0] = (reached[0][0], reached[0][1] - not_invited)
    return reached


#: the weeks a completion trend shows
TREND_WEEKS = 8


def completion_trend(
    cutoffs_by_week: dict[str, dict[int, datetime]],
    *,
    rollout_ids: Collection[int] | None = None,
) -> dict[str, dict[Any, float | None]]:
    """Completion rate per region (and "all", pooled) at the end of each week, optionally
    counting only the learners of ``rollout_ids`` (a rollout's dashboard).

    One statement whatever the number of weeks: each enrollment is put in the first week
    by whose end it was invited, withdrew and completed (each region's week ends as
    columns of its cutoff row), and each week's counts are the sums up to that week.
    """
    weeks = sorted(cutoffs_by_week)  # ISO weeks sort in time order, as their ends do
    region_ids = sorted({rid for cutoffs in cutoffs_by_week.values() for rid in cutoffs})
    n = len(weeks)
    #: (region, invited, withdrew, completed) week index → learners; n means "not by the last"
    groups: list[tuple[int, int, int, int, int]] = []
    if region_ids:
        cut = constant_rows(
            "cutoff",
            [("region_id", Integer()), *((f"t{i}", UTCDateTime()) for i in range(n))],
            [(rid, *(cutoffs_by_week[w].get(rid) for w in weeks)) for rid in region_ids],
            dialect=db.session.get_bind().dialect.name,
        )

        def week_of(condition: Callable[[Any], ColumnElement[bool]]) -> Any:
            return case(*((condition(cut.c[f"t{i}"]), i) for i in range(n)), else_=n)

        withdrew = week_of(
            lambda t: and_(Enrollment.state == EnrollmentState.WITHDRAWN, Enrollment.left_at <= t)
        )
        rows = db.session.execute(
            select(
                Enrollment.region_id,
                week_of(lambda t: Enrollment.invited_at <= t).label("invited"),
                withdrew.label("withdrew"),
                week_of(lambda t: Enrollment.completed_at <= t).label("completed"),
                func.count(),
            )
            .join(cut, cut.c.region_id == Enrollment.region_id)
            .where(
                Enrollment.invited_at <= cut.c[f"t{n - 1}"],
                *([] if rollout_ids is None else [Enrollment.rollout_id.in_(rollout_ids)]),
            )
            .group_by(Enrollment.region_id, "invited", "withdrew", "completed")
        ).all()
        groups = [tuple(row) for row in rows]  # type: ignore[misc]
    trend: dict[str, dict[Any, float | None]] = {}
    for i, week in enumerate(weeks):
        counts: dict[int, list[int]] = {}
        for rid, invited, withdrew_in, completed_in, learners in groups:
            if invited > i:
                continue
            c = counts.setdefault(rid, [0, 0, 0])
            c[0] += learners
            c[1] += learners if withdrew_in <= i else 0
            c[2] += learners if completed_in <= i else 0
        point: dict[Any, float | None] = dict.fromkeys(cutoffs_by_week[week])
        totals = [0, 0, 0]
        for rid in point:
            if rid in counts:
                enrolled, wd, done = counts[rid]
                point[rid] = ratio(done, enrolled - wd)
                totals = [totals[0] + enrolled, totals[1] + wd, totals[2] + done]
        point["all"] = ratio(totals[2], totals[0] - totals[1])
        trend[week] = point
    return {week: trend[week] for week in cutoffs_by_week}


def completion_weeks(
    region: Region, now: datetime, *, rollout_ids: Sequence[int] | None = None
) -> list[tuple[str, float | None]]:
    """The completion rate (``app.metrics``) at the end of each of the last complete weeks."""
    last = last_complete_week(now, region.time_zone)
    return _completion_weeks(
        region.id, region.time_zone, last, None if rollout_ids is None else tuple(rollout_ids)
    )


@read_cache.cached(reads=("enrollment",))
def _completion_weeks(
    region_id: int, time_zone: str, last: str, rollout_ids: tuple[int, ...] | None
) -> list[tuple[str, float | None]]:
    weeks = [shift_week(last, -k) for k in range(TREND_WEEKS - 1, -1, -1)]
    rates = completion_trend(
        {w: {region_id: week_end(w, time_zone)} for w in weeks}, rollout_ids=rollout_ids
    )
    return [(w, rates[w].get(region_id)) for w in weeks]


def learners_listed(
    rollout_id: int, stage: str, *, page: int, page_size: int
) -> tuple[list[Enrollment], int] | None:
    """One page of the learners behind a number of the dashboard, by name, and how many
    there are: a funnel ``stage`` (reached it), a state, ``missing`` from the last roster
    or ``no_manager``, or ``not_invited`` (on the roster, not emailed yet). None for a
    stage that is none of these."""
    stmt = stage_filter(rollout_id, stage)
    if stmt is None:
        return None
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(
        stmt.order_by(Person.name, Enrollment.id).limit(page_size).offset((page - 1) * page_size)
    ).all()
    return list(rows), total


def stage_filter(rollout_id: int, stage: str, region_id: int | None = None) -> Any:
    """The rollout's enrollments (joined to their person) behind a number of the dashboard
    (see :func:`learners_listed`; ``all`` is everyone), or None for an unknown stage.

    ``region_id`` (the rollout's) also bounds the people: a roster only enrolls people of
    its region (app/roster/validation.py), and at 300,000 people the planner, without it,
    misjudges a name search and scans every person (0.5 s instead of 5 ms)."""
    stmt = select(Enrollment).join(Person).where(Enrollment.rollout_id == rollout_id)
    if region_id is not None:
        stmt = stmt.where(Enrollment.region_id == region_id, Person.region_id == region_id)
    if stage == "all":
        return stmt
    if stage == "missing":
        stmt = stmt.where(Enrollment.missing_from_roster)
    elif stage == "no_manager":
        stmt = stmt.where(
            Person.manager_id.is_(None),
            Enrollment.state.not_in([EnrollmentState.REMOVED, EnrollmentState.WITHDRAWN]),
        )
    elif stage == "not_invited":
        stmt = stmt.where(
            Enrollment.state == EnrollmentState.INVITED, Enrollment.invited_at.is_(None)
        )
    elif stage in {s.value for s in FUNNEL}:
        reached = FUNNEL[[s.value for s in FUNNEL].index(stage) :]
        stmt = stmt.where(Enrollment.state.in_(reached))
        if stage == EnrollmentState.INVITED.value:
            stmt = stmt.where(
                (Enrollment.state != EnrollmentState.INVITED) | Enrollment.invited_at.is_not(None)
            )
    elif stage in {s.value for s in EnrollmentState}:
        stmt = stmt.where(Enrollment.state == EnrollmentState(stage))
    else:
        return None
    return stmt


#: the learner list's sort keys (``?sort=``) and their columns
LEARNER_SORTS: dict[str, Any] = {
    "name": Person.name,
    "email": Person.email,
    "employee_id": Person.employee_id,
    "state": Enrollment.state,
    "committed": Enrollment.committed_at,
}


@dataclass(frozen=True)
class LearnerQuery:
    """The learner list's search, filters and order (all optional)."""

    stage: str = "all"
    #: a prefix of the name (or of any word of it), the email or the employee id, any case
    q: str = ""
    manager_id: int | None = None
    #: a prefix of the manager's name (or of any word of it) or email, any case (the filter
    #: of a rollout with more managers than a list can offer)
    manager_q: str = ""
    #: a buddy group's number as people see it (1..n, :func:`buddy_group_numbers`), or -1
    #: for "not in a group"
    buddy_group: int | None = None
    sort: str = "name"
    descending: bool = False


def like_prefix(text: str) -> str:
    """A LIKE pattern (escape ``\\``) for what starts with ``text``, its wildcards literal."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def learners_query(rollout_id: int, region_id: int, query: LearnerQuery) -> Any:
    """The statement of the rollout's learners matching ``query``, ordered (the id breaks
    ties so that paging is stable), or None for an unknown stage or sort. One query, the
    person joined: no per-row loads."""
    stmt = stage_filter(rollout_id, query.stage, region_id)
    if stmt is None or query.sort not in LEARNER_SORTS:
        return None
    text = query.q.strip().lower()
    if text:
        prefix = like_prefix(text)
        stmt = stmt.where(
            func.lower(Person.name).like(prefix, escape="\\")
            | func.lower(Person.name).like("% " + prefix, escape="\\")
            | Person.email.like(prefix, escape="\\")
            | func.lower(Person.employee_id).like(prefix, escape="\\")
        )
    if query.manager_id is not None:
        stmt = stmt.where(Person.manager_id == query.manager_id)
    manager_text = query.manager_q.strip().lower()
    if manager_text:
        manager = aliased(Person)
        prefix = like_prefix(manager_text)
        # a manager may work in another region than their reports: not bounded by region
        stmt = stmt.where(
            Person.manager_id.in_(
                select(manager.id).where(
                    func.lower(manager.name).like(prefix, escape="\\")
                    | func.lower(manager.name).like("% " + prefix, escape="\\")
                    | manager.email.like(prefix, escape="\\"),
                )
            )
        )
    if query.buddy_group == -1:
        stmt = stmt.where(Enrollment.buddy_group.is_(None))
    elif query.buddy_group is not None and query.buddy_group >= 1:
        stmt = stmt.where(
            Enrollment.buddy_group == group_key_of_number(rollout_id, query.buddy_group)
        )
    elif query.buddy_group is not None:
        stmt = stmt.where(false())  # no group has a number below 1
    column = LEARNER_SORTS[query.sort]
    if query.sort == "name":
        column = func.lower(Person.name)
    order = column.desc() if query.descending else column.asc()
    tie = Enrollment.id.desc() if query.descending else Enrollment.id.asc()
    return stmt.order_by(order, tie)


def learners_page(
    rollout_id: int, region_id: int, query: LearnerQuery, *, page: int, page_size: int
) -> tuple[list[Row[Any]], int] | None:
    """One page of :func:`learners_query` and how many match in all, in one statement
    (the total as a window over the matches); a second one only past the last page.

    A row holds only what the list shows (``id``, ``name``, ``employee_id``, ``email``,
    ``state``, ``committed_at``, ``buddy_group``, ``missing_from_roster``): loading the
    enrollments as objects joined their rollout, program, region and person again for
    every row."""
    stmt = learners_query(rollout_id, region_id, query)
    if stmt is None:
        return None
    found = db.session.execute(
        stmt.with_only_columns(
            Enrollment.id,
            Person.name,
            Person.employee_id,
            Person.email,
            Enrollment.state,
            Enrollment.committed_at,
            Enrollment.buddy_group,
            Enrollment.missing_from_roster,
            func.count().over().label("total"),
        )
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    if found:
        return list(found), found[0].total
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return [], total or 0


def learner_rows(
    rollout_id: int, region_id: int, query: LearnerQuery
) -> Iterable[Sequence[object]]:
    """Every learner of :func:`learners_query` as CSV cells, fetched in batches (for a
    streamed export of any size)."""
    stmt = learners_query(rollout_id, region_id, query)
    manager = aliased(Person)
    columns = stmt.with_only_columns(
        Person.name,
        Person.email,
        Person.employee_id,
        Enrollment.state,
        manager.name,
        Enrollment.buddy_group,
        Enrollment.invited_at,
        Enrollment.committed_at,
        Enrollment.completed_at,
    ).outerjoin(manager, manager.id == Person.manager_id)
    numbers = buddy_group_numbers(rollout_id)  # the group as people see it, not its key
    result = db.session.execute(columns.execution_options(yield_per=2000))
    for row in result:
        cells = list(row)
        cells[5] = numbers.get(cells[5])
        yield cells


#: the manager filter is a list up to this many managers, a search by name or email above
MANAGER_CHOICES = 200
#: the buddy-group filter is a list up to this many groups, a group number above (the
#: same bound: a rollout of 300,000 forms 100,000 groups)
GROUP_CHOICES = MANAGER_CHOICES


@read_cache.cached(reads=("enrollment", "person"))
def manager_choices(rollout_id: int, region_id: int) -> list[tuple[int, str]] | None:
    """The managers of the rollout's learners, by name (the list's manager filter), or
    None when there are more than :data:`MANAGER_CHOICES` (a rollout of 300,000 has tens of
    thousands: the page offers a search by the manager's name or email instead)."""
    manager = aliased(Person)
    rows = db.session.execute(
        select(manager.id, manager.name)
        .where(
            manager.id.in_(
                select(Person.manager_id)
                .join(Enrollment, Enrollment.person_id == Person.id)
                .where(
                    Enrollment.rollout_id == rollout_id,
                    Enrollment.region_id == region_id,
                    Person.region_id == region_id,
                )
            )
        )
        .order_by(manager.name)
        .limit(MANAGER_CHOICES + 1)
    ).all()
    if len(rows) > MANAGER_CHOICES:
        return None
    return [(r.id, r.name) for r in rows]


def _group_keys(rollout_id: int) -> Any:
    """The stored keys of the rollout's buddy groups, in the order the groups were formed
    (a new group's key is always above every key before it)."""
    return (
        select(Enrollment.buddy_group)
        .where(Enrollment.rollout_id == rollout_id, Enrollment.buddy_group.is_not(None))
        .distinct()
        .order_by(Enrollment.buddy_group)
    )


@read_cache.cached(reads=("enrollment",))
def buddy_group_numbers(rollout_id: int) -> dict[int, int]:
    """The number people see for each buddy group of the rollout, 1..n in the order the
    groups were formed, by stored key (the key is a database-wide counter: "Group 1734"
    means nothing to a lead). One query for the whole rollout."""
    keys = db.session.scalars(_group_keys(rollout_id))
    return {key: number for number, key in enumerate(keys, start=1)}


def buddy_group_number(rollout_id: int, key: int) -> int:
    """The number people see for one buddy group (as in :func:`buddy_group_numbers`): how
    many of the rollout's groups were formed up to it, counted in one query."""
    keys = _group_keys(rollout_id).where(Enrollment.buddy_group <= key).order_by(None)
    return db.session.scalar(select(func.count()).select_from(keys.subquery())) or 0


def group_key_of_number(rollout_id: int, number: int) -> Any:
    """The stored key of the rollout's group numbered ``number`` (as people see it), as a
    scalar subquery for a filter: none matches a number out of range."""
    return _group_keys(rollout_id).limit(1).offset(max(number - 1, 0)).scalar_subquery()


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
