"""Read side of each role's home: the action inbox of the local lead, the expert's and HR
partner's next call and learners who stopped coming, the global admin's league of rollouts.

Every function is set-based: one statement per kind of item over all the regions (or
rollouts) given, grouped, never one per region or per row. The ORM statements also run
under the request's region scope (``app.scoping``), so another region's rows never appear
even if a caller passed its id.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, null, or_, select

from app.approvals.models import AllocationStatus, TimeAllocation
from app.calls.invitations import CALL_STATES
from app.calls.models import CallAttendance, CallQuestion, CallSession, CallStatus
from app.connectors.models import Connector, ConnectorRun, RunStatus
from app.extensions import db
from app.people.models import Person
from app.programs.models import Program, Term, term_required_module
from app.progress.models import ImportStatus as ProgressImportStatus
from app.progress.models import ModuleProgress, ProgressImport
from app.rates import completion_rate_sql, ratio_sql
from app.regions.models import Region
from app.reports.models import Report, ReportScope
from app.reports.queries import LISTED
from app.rollouts.buddies import PAIRABLE
from app.rollouts.models import Enrollment, EnrollmentState, Rollout, RolloutStatus
from app.roster.models import ImportStatus as RosterImportStatus
from app.roster.models import RosterImport
from app.terms.models import TermReview, Verdict

#: a failed import stays in the inbox this long (or until a later one of its kind succeeds)
FAILED_WINDOW = timedelta(days=14)
#: progress data older than this is flagged as stale
STALE_AFTER = timedelta(days=8)
#: consecutive held calls missed before an expert is told
MISSED_IN_A_ROW = 2
#: states that are still in the program (a manager or a buddy still matters)
IN_PROGRAM = (
    EnrollmentState.INVITED,
    EnrollmentState.COMMITTED,
    EnrollmentState.TIME_APPROVED,
    EnrollmentState.ACTIVE,
)


@dataclass(frozen=True)
class RolloutCount:
    region_id: int
    slug: str
    title: str
    count: int
    #: the term number of a review, the kind of a failed import
    detail: Any = None


def approvals_waiting(region_ids: Collection[int]) -> dict[int, int]:
    """Region id → time requests still waiting for a manager's decision."""
    rows = db.session.execute(
        select(TimeAllocation.region_id, func.count())
        .where(
            TimeAllocation.region_id.in_(region_ids),
            TimeAllocation.status == AllocationStatus.PENDING,
        )
        .group_by(TimeAllocation.region_id)
    ).all()
    return {rid: n for rid, n in rows}


def reviews_due(region_ids: Collection[int]) -> list[RolloutCount]:
    """Free-rider candidates not reviewed yet, per rollout and term (the review page)."""
    rows = db.session.execute(
        select(Rollout.region_id, Rollout.slug, Program.title, Term.number, func.count())
        .select_from(TermReview)
        .join(Enrollment, Enrollment.id == TermReview.enrollment_id)
        .join(Rollout, Rollout.id == Enrollment.rollout_id)
        .join(Program, Program.id == Rollout.program_id)
        .join(Term, Term.id == TermReview.term_id)
        .where(
            TermReview.region_id.in_(region_ids),
            TermReview.verdict == Verdict.FREE_RIDER_CANDIDATE,
            TermReview.reviewed_at.is_(None),
        )
        .group_by(Rollout.region_id, Rollout.slug, Program.title, Term.number)
        .order_by(Rollout.region_id, Program.title, Term.number)
    ).all()
    return [RolloutCount(r, s, t, n, detail=number) for r, s, t, number, n in rows]


def imports_failed(region_ids: Collection[int], now: datetime) -> list[RolloutCount]:
    """Rollouts whose last roster import, progress import or connector sync failed in the
    last two weeks (one statement per kind); ``detail`` is "roster", "progress" or
    "connector"."""
    since = now - FAILED_WINDOW
    found: list[RolloutCount] = []
    kinds: list[tuple[str, Any, Any, Any, Any, Any]] = [
        (
            "roster",
            RosterImport,
            RosterImport.rollout_id,
            RosterImport.created_at,
            RosterImport.status,
            RosterImportStatus.FAILED,
        ),
        (
            "progress",
            ProgressImport,
            ProgressImport.rollout_id,
            ProgressImport.created_at,
            ProgressImport.status,
            ProgressImportStatus.FAILED,
        ),
    ]
    for kind, model, rollout_col, at, status, failed in kinds:
        latest = (
            select(rollout_col.label("rollout_id"), func.max(at).label("at"))
            .where(model.region_id.in_(region_ids))
            .group_by(rollout_col)
            .subquery()
        )
        rows = db.session.execute(
            select(Rollout.region_id, Rollout.slug, Program.title, func.count())
            .select_from(model)
            .join(latest, and_(latest.c.rollout_id == rollout_col, latest.c.at == at))
            .join(Rollout, Rollout.id == rollout_col)
            .join(Program, Program.id == Rollout.program_id)
            .where(status == failed, at >= since)
            .group_by(Rollout.region_id, Rollout.slug, Program.title)
        ).all()
        found += [RolloutCount(r, s, t, n, detail=kind) for r, s, t, n in rows]
    latest_run = (
        select(ConnectorRun.connector_id, func.max(ConnectorRun.id).label("run_id"))
        .where(ConnectorRun.region_id.in_(region_ids))
        .group_by(ConnectorRun.connector_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Rollout.region_id, Rollout.slug, Program.title, func.count())
        .select_from(ConnectorRun)
        .join(latest_run, latest_run.c.run_id == ConnectorRun.id)
        .join(Connector, Connector.id == ConnectorRun.connector_id)
        .join(Rollout, Rollout.id == Connector.rollout_id)
        .join(Program, Program.id == Rollout.program_id)
        .where(ConnectorRun.status == RunStatus.FAILED, ConnectorRun.started_at >= since)
        .group_by(Rollout.region_id, Rollout.slug, Program.title)
    ).all()
    found += [RolloutCount(r, s, t, n, detail="connector") for r, s, t, n in rows]
    return found


def people_to_place(region_ids: Collection[int]) -> list[RolloutCount]:
    """Per rollout, learners without a manager (``detail`` "no_manager") and learners who
    can be paired but have no buddy (``detail`` "no_buddy"): one grouped statement."""
    no_manager = func.sum(
        case((and_(Person.manager_id.is_(None), Enrollment.state.in_(IN_PROGRAM)), 1), else_=0)
    )
    no_buddy = func.sum(
        case((and_(Enrollment.buddy_group.is_(None), Enrollment.state.in_(PAIRABLE)), 1), else_=0)
    )
    rows = db.session.execute(
        select(Rollout.region_id, Rollout.slug, Program.title, no_manager, no_buddy)
        .select_from(Enrollment)
        .join(Person, Person.id == Enrollment.person_id)
        .join(Rollout, Rollout.id == Enrollment.rollout_id)
        .join(Program, Program.id == Rollout.program_id)
        .where(Enrollment.region_id.in_(region_ids), Rollout.status != RolloutStatus.CLOSED)
        .group_by(Rollout.region_id, Rollout.slug, Program.title)
        .order_by(Rollout.region_id, Program.title)
    ).all()
    found = []
    for rid, slug, title, managers, buddies in rows:
        if managers:
            found.append(RolloutCount(rid, slug, title, int(managers), detail="no_manager"))
        if buddies:
            found.append(RolloutCount(rid, slug, title, int(buddies), detail="no_buddy"))
    return found


@dataclass(frozen=True)
class NextCall:
    region_id: int
    slug: str
    title: str
    session_id: int
    starts_at: datetime
    questions: list[CallQuestion]
    agenda_sent_at: datetime | None


def next_calls(
    region_ids: Collection[int],
    now: datetime,
    *,
    staff_id: int | None = None,
    with_questions: bool = False,
) -> list[NextCall]:
    """The next scheduled call of each rollout (of the regions; of the rollouts where
    ``staff_id`` is the expert or HR partner, when given), soonest first; with its open
    questions when asked (one more statement for every call together)."""
    first = (
        select(CallSession.rollout_id, func.min(CallSession.starts_at).label("at"))
        .where(
            CallSession.region_id.in_(region_ids),
            CallSession.status == CallStatus.SCHEDULED,
            CallSession.starts_at >= now,
        )
        .group_by(CallSession.rollout_id)
        .subquery()
    )
    stmt = (
        select(CallSession, Rollout.slug, Program.title)
        .join(
            first,
            and_(first.c.rollout_id == CallSession.rollout_id, first.c.at == CallSession.starts_at),
        )
        .join(Rollout, Rollout.id == CallSession.rollout_id)
        .join(Program, Program.id == Rollout.program_id)
        .where(CallSession.status == CallStatus.SCHEDULED)
        .order_by(CallSession.starts_at, CallSession.id)
    )
    if staff_id is not None:
        stmt = stmt.where(or_(Rollout.expert_id == staff_id, Rollout.hr_partner_id == staff_id))
    rows = db.session.execute(stmt).all()
    questions: dict[int, list[CallQuestion]] = {}
    if with_questions and rows:
        for q in db.session.scalars(
            select(CallQuestion)
            .where(
                CallQuestion.session_id.in_([s.id for s, _, _ in rows]),
                CallQuestion.answered.is_(False),
            )
            .order_by(CallQuestion.blocked.desc(), CallQuestion.created_at)
        ):
            questions.setdefault(q.session_id, []).append(q)
    return [
        NextCall(
            region_id=s.region_id,
            slug=slug,
            title=title,
            session_id=s.id,
            starts_at=s.starts_at,
            questions=questions.get(s.id, []),
            agenda_sent_at=s.agenda_sent_at,
        )
        for s, slug, title in rows
    ]


@dataclass(frozen=True)
class Freshness:
    region_id: int
    slug: str
    title: str
    latest: datetime | None
    stale: bool


def data_freshness(region_ids: Collection[int], now: datetime) -> list[Freshness]:
    """Per running rollout, when its latest progress data was observed (None: never)."""
    latest = (
        select(Enrollment.rollout_id, func.max(ModuleProgress.observed_at).label("at"))
        .join(Enrollment, Enrollment.id == ModuleProgress.enrollment_id)
        .where(ModuleProgress.region_id.in_(region_ids))
        .group_by(Enrollment.rollout_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Rollout.region_id, Rollout.slug, Program.title, latest.c.at)
        .join(Program, Program.id == Rollout.program_id)
        .outerjoin(latest, latest.c.rollout_id == Rollout.id)
        .where(Rollout.region_id.in_(region_ids), Rollout.status == RolloutStatus.LAUNCHED)
        .order_by(Rollout.region_id, Program.title)
    ).all()
    return [
        Freshness(rid, slug, title, at, at is None or at < now - STALE_AFTER)
        for rid, slug, title, at in rows
    ]


@dataclass(frozen=True)
class Absentee:
    region_id: int
    slug: str
    title: str
    name: str
    missed: int


def missed_in_a_row(
    region_ids: Collection[int],
    now: datetime,
    *,
    staff_id: int | None = None,
    at_least: int = MISSED_IN_A_ROW,
    limit: int = 50,
) -> tuple[list[Absentee], int]:
    """Learners who missed ``at_least`` held calls in a row since they last attended,
    over every rollout of the regions (where ``staff_id`` hosts, when given), most missed
    first: a page of them and how many there are. The same rule as
    ``app.calls.queries.missed_calls_in_a_row``, for many rollouts in one statement."""
    has_rows = exists().where(CallAttendance.session_id == CallSession.id)
    held = (
        select(CallSession.id, CallSession.rollout_id, CallSession.starts_at)
        .where(
            CallSession.region_id.in_(region_ids),
            CallSession.status == CallStatus.SCHEDULED,
            CallSession.starts_at <= now,
            has_rows,
        )
        .subquery()
    )
    last = (
        select(
            CallAttendance.enrollment_id.label("enrollment_id"),
            func.max(CallSession.starts_at).label("last_at"),
        )
        .join(CallSession, CallSession.id == CallAttendance.session_id)
        .where(CallAttendance.region_id.in_(region_ids), CallAttendance.attended.is_(True))
        .group_by(CallAttendance.enrollment_id)
        .subquery()
    )
    missed = func.count(held.c.id)
    stmt = (
        select(Rollout.region_id, Rollout.slug, Program.title, Person.name, missed)
        .select_from(Enrollment)
        .join(Person, Person.id == Enrollment.person_id)
        .join(Rollout, Rollout.id == Enrollment.rollout_id)
        .join(Program, Program.id == Rollout.program_id)
        .outerjoin(last, last.c.enrollment_id == Enrollment.id)
        .join(
            held,
            and_(
                held.c.rollout_id == Enrollment.rollout_id,
                held.c.starts_at >= Enrollment.time_approved_at,
                or_(last.c.last_at.is_(None), held.c.starts_at > last.c.last_at),
            ),
        )
        .where(Enrollment.region_id.in_(region_ids), Enrollment.state.in_(CALL_STATES))
        .group_by(Enrollment.id, Rollout.region_id, Rollout.slug, Program.title, Person.name)
        .having(missed >= at_least)
    )
    if staff_id is not None:
        stmt = stmt.where(or_(Rollout.expert_id == staff_id, Rollout.hr_partner_id == staff_id))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.execute(stmt.order_by(missed.desc(), Person.name).limit(limit)).all()
    return [Absentee(*row) for row in rows], total


# --- the league of rollouts (global admin) and the region overview -------------------

SORT_KEYS = ("region", "program", "status", "learners", "completion", "pace", "trend")


@dataclass(frozen=True)
class LeagueRow:
    region_id: int
    region_code: str
    region_name: str
    slug: str
    program: str
    status: str
    learners: int
    completed: int
    completion: float | None
    pace: float | None
    #: completion now minus completion a week ago, in points of a share (None: no data)
    trend: float | None


def _league_statement(region_ids: Collection[int] | None, now: datetime) -> tuple[Any, dict]:
    """Every rollout (of the regions; all when None) with its figures as SQL columns, and
    the sortable columns by sort key: one statement over two grouped subqueries (the
    counts, the pace)."""
    week_ago = now - timedelta(days=7)
    counted = (EnrollmentState.REMOVED, EnrollmentState.WITHDRAWN)

    def total(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    counts_q = (
        select(
            Enrollment.rollout_id.label("rollout_id"),
            total(Enrollment.invited_at.is_not(None)).label("enrolled"),
            total(Enrollment.state == EnrollmentState.WITHDRAWN).label("withdrawn"),
            total(Enrollment.state == EnrollmentState.COMPLETED).label("completed"),
            total(Enrollment.invited_at <= week_ago).label("enrolled_then"),
            total(
                and_(Enrollment.state == EnrollmentState.WITHDRAWN, Enrollment.left_at <= week_ago)
            ).label("withdrawn_then"),
            total(Enrollment.completed_at <= week_ago).label("completed_then"),
            total(Enrollment.state.not_in(counted)).label("in_program"),
        )
        .where(Enrollment.invited_at.is_not(None))
        .group_by(Enrollment.rollout_id)
    )
    pace_q = _on_pace_statement(region_ids, now)
    if region_ids is not None:
        counts_q = counts_q.where(Enrollment.region_id.in_(region_ids))
    counts = counts_q.subquery()
    on_pace = pace_q.subquery()
    e, w, c = (func.coalesce(counts.c[k], 0) for k in ("enrolled", "withdrawn", "completed"))
    e0, w0, c0 = (
        func.coalesce(counts.c[k], 0) for k in ("enrolled_then", "withdrawn_then", "completed_then")
    )
    learners = func.coalesce(counts.c.in_program, 0)
    rate_now = completion_rate_sql(completed=c, enrolled=e, withdrawn=w)
    rate_then = completion_rate_sql(completed=c0, enrolled=e0, withdrawn=w0)
    completion = case((e != 0, rate_now), else_=null())
    pace = ratio_sql(func.coalesce(on_pace.c.n, 0), learners)
    trend = case((and_(e != 0, e0 != 0), func.coalesce(rate_now, 0) - rate_then), else_=null())
    stmt = (
        select(
            Rollout.region_id,
            Region.code,
            Region.name,
            Rollout.slug,
            Program.title,
            Rollout.status,
            learners.label("learners"),
            c.label("completed"),
            completion.label("completion"),
            pace.label("pace"),
            trend.label("trend"),
        )
        .join(Region, Region.id == Rollout.region_id)
        .join(Program, Program.id == Rollout.program_id)
        .outerjoin(counts, counts.c.rollout_id == Rollout.id)
        .outerjoin(on_pace, on_pace.c.rollout_id == Rollout.id)
    )
    if region_ids is not None:
        stmt = stmt.where(Rollout.region_id.in_(region_ids))
    keys = {
        "region": func.lower(Region.name),
        "program": func.lower(Program.title),
        "status": Rollout.status,
        "learners": learners,
        "completion": completion,
        "pace": pace,
        "trend": trend,
    }
    return stmt, keys


def _league_ordered(stmt: Any, keys: dict, sort: str, descending: bool) -> Any:
    """The league's order: rows without a figure last whichever the direction, then the
    figure, the region's name, the program's title (all in the direction asked), the
    rollout id last so that pages never overlap or skip a row."""
    key = keys.get(sort, keys["completion"])

    def way(column: Any) -> Any:
        return column.desc() if descending else column.asc()

    return stmt.order_by(
        case((key.is_(None), 1), else_=0),
        way(key),
        way(Region.name),
        way(Program.title),
        way(Rollout.id),
    )


def _league_row(row: Any) -> LeagueRow:
    return LeagueRow(
        region_id=row.region_id,
        region_code=row.code,
        region_name=row.name,
        slug=row.slug,
        program=row.title,
        status=row.status.value,
        learners=int(row.learners),
        completed=int(row.completed),
        completion=row.completion,
        pace=row.pace,
        trend=row.trend,
    )


def league(
    region_ids: Collection[int] | None,
    now: datetime,
    *,
    sort: str = "completion",
    descending: bool = True,
) -> list[LeagueRow]:
    """Every rollout (of the regions; all when None) with its completion rate now and a
    week ago, and its share of learners on pace by their modules (``app.rates``'
    formulas: completion = completed / (enrolled − withdrawn)), sorted by ``sort`` in the
    database: one statement."""
    stmt, keys = _league_statement(region_ids, now)
    return [
        _league_row(r) for r in db.session.execute(_league_ordered(stmt, keys, sort, descending))
    ]


def league_page(
    region_ids: Collection[int] | None,
    now: datetime,
    *,
    sort: str = "completion",
    descending: bool = True,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[LeagueRow], int]:
    """One page of :func:`league` (ORDER BY, LIMIT, OFFSET in the database) and how many
    rollouts there are in all (a window count over the same statement); a second
    statement only past the last page."""
    stmt, keys = _league_statement(region_ids, now)
    found = db.session.execute(
        _league_ordered(
            stmt.add_columns(func.count().over().label("total")), keys, sort, descending
        )
        .limit(page_size)
        .offset((max(page, 1) - 1) * page_size)
    ).all()
    if found:
        return [_league_row(r) for r in found], int(found[0].total)
    return [], db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _on_pace_statement(region_ids: Collection[int] | None, now: datetime) -> Any:
    """(rollout_id, n): the learners in the program who completed at least as many modules
    as the terms ended so far require (a completer is on pace): one grouped statement. Coarser
    than ``app.metrics``' pro-rata rule within a term, good enough to rank rollouts."""
    today = now.date()
    required = (
        select(
            Rollout.id.label("rollout_id"),
            func.count(func.distinct(term_required_module.c.module_id)).label("n"),
        )
        .join(Term, Term.program_id == Rollout.program_id)
        .join(term_required_module, term_required_module.c.term_id == Term.id)
        .where(Term.ends_on < today)
        .group_by(Rollout.id)
        .subquery()
    )
    done = (
        select(ModuleProgress.enrollment_id, func.count().label("n"))
        .where(ModuleProgress.completed.is_(True))
        .group_by(ModuleProgress.enrollment_id)
        .subquery()
    )
    on_pace = or_(
        Enrollment.state == EnrollmentState.COMPLETED,
        func.coalesce(done.c.n, 0) >= func.coalesce(required.c.n, 0),
    )
    stmt = (
        select(Enrollment.rollout_id.label("rollout_id"), func.count().label("n"))
        .outerjoin(done, done.c.enrollment_id == Enrollment.id)
        .outerjoin(required, required.c.rollout_id == Enrollment.rollout_id)
        .where(
            Enrollment.invited_at.is_not(None),
            Enrollment.state.not_in((EnrollmentState.REMOVED, EnrollmentState.WITHDRAWN)),
            on_pace,
        )
        .group_by(Enrollment.rollout_id)
    )
    if region_ids is not None:
        stmt = stmt.where(Enrollment.region_id.in_(region_ids))
    return stmt


# --- the sponsors' reports ------------------------------------------------------------


def latest_reports(region_ids: Collection[int], *, with_global: bool) -> list[Report]:
    """The newest weekly report of each region (and the global one when asked), without
    their snapshots: one statement. ``Report`` is not region-scoped, so the regions are
    named here explicitly."""
    newest = (
        select(
            Report.scope.label("scope"),
            Report.region_id.label("region_id"),
            func.max(Report.week).label("week"),
        )
        .where(
            or_(
                and_(
                    Report.scope == ReportScope.REGION.value,
                    Report.region_id.in_(list(region_ids)),
                ),
                and_(
                    Report.scope == ReportScope.GLOBAL.value,
                    Report.region_id.is_(None),
                    literal(with_global),
                ),
            )
        )
        .group_by(Report.scope, Report.region_id)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(Report)
            .join(
                newest,
                and_(
                    newest.c.scope == Report.scope,
                    Report.region_id.is_not_distinct_from(newest.c.region_id),
                    newest.c.week == Report.week,
                ),
            )
            .options(LISTED)
            .order_by(Report.scope.desc(), Report.region_id)
        )
    )


@dataclass(frozen=True)
class RegionStanding:
    name: str
    learners: int
    completion: float | None
    pace: float | None


def league_of_regions(
    report_id: int, *, sort: str = "completion", descending: bool = True
) -> list[RegionStanding]:
    """The regions of a global report as it was built (its stored figures, not live data:
    a global sponsor reads what was sent), sorted by ``sort``; rows without a figure last."""
    figures = db.session.scalar(select(Report.figures).where(Report.id == report_id)) or {}
    rows = [
        RegionStanding(
            name=f.get("region", {}).get("name", code),
            learners=int(f.get("in_program") or 0),
            completion=f.get("completion_rate"),
            pace=f.get("on_pace_rate"),
        )
        for code, f in (figures.get("regions") or {}).items()
    ]
    attribute = {"region": "name", "learners": "learners", "pace": "pace"}.get(sort, "completion")

    def key(row: RegionStanding) -> Any:
        value = getattr(row, attribute)
        return value.casefold() if isinstance(value, str) else value

    known = sorted((r for r in rows if key(r) is not None), key=key, reverse=descending)
    return known + [r for r in rows if key(r) is None]
