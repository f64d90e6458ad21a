"""The metric families of :mod:`app.metrics.queries`, one grouped statement each over every
region's cutoff row: enrollments and the funnel, pace, activity, approvals, calls, free
riders, master classes, buddies. Each adds its counts to ``figures`` (region id → dict)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, null, or_, select, tuple_
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.elements import ColumnElement

from app.approvals.models import AllocationStatus, TimeAllocation
from app.calls.models import CallAttendance, CallSession, CallStatus
from app.extensions import db
from app.masterclasses.models import InvitationStatus, MasterClassInvitation
from app.metrics.sql import hours_between, key_table
from app.people.models import Person
from app.programs.models import Program, Term
from app.progress.models import ModuleProgress
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout
from app.terms.models import TermReview, Verdict

RSVP_YES = (InvitationStatus.ACCEPTED, InvitationStatus.ATTENDED, InvitationStatus.NO_SHOW)


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def left_by(t: Any) -> ColumnElement[bool]:
    """Withdrawn (excused) or removed (free rider) by ``t``."""
    return and_(
        Enrollment.state.in_([EnrollmentState.WITHDRAWN, EnrollmentState.REMOVED]),
        Enrollment.left_at <= t,
    )


#: the stamps of the funnel's stages after invited, in order
STAGE_STAMPS = (
    Enrollment.committed_at,
    Enrollment.time_approved_at,
    Enrollment.activated_at,
    Enrollment.completed_at,
)


def reached_by(t: Any, *stamps: Any) -> ColumnElement[bool]:
    """Reached a stage by ``t``: that stage's stamp or a later one (the funnel is cumulative:
    a learner whose progress import completed them straight from time approved was active)."""
    return or_(*(stamp <= t for stamp in stamps))


def in_program_at(t: Any) -> ColumnElement[bool]:
    return and_(Enrollment.invited_at <= t, ~left_by(t))


def add_enrollments(figures: dict[int, dict[str, Any]], cut: FromClause) -> None:
    """Counts per region, and per rollout in ``figures[rid]["programs"]`` (rollout id → counts):
    the same statement, grouped by rollout, summed per region."""
    t = cut.c.t
    withdrawn = and_(Enrollment.state == EnrollmentState.WITHDRAWN, Enrollment.left_at <= t)
    removed = and_(Enrollment.state == EnrollmentState.REMOVED, Enrollment.left_at <= t)
    stayed = ~or_(withdrawn, removed)
    # a manager who took back their approval sent the learner back to committed
    approval_kept = Enrollment.state != EnrollmentState.COMMITTED
    # committed, not finished, and no buddy (today's pairing: buddies are not dated)
    unpaired = and_(
        stayed,
        reached_by(t, *STAGE_STAMPS),
        ~reached_by(t, Enrollment.completed_at),
        Enrollment.buddy_group.is_(None),
    )
    rows = db.session.execute(
        select(
            Enrollment.region_id,
            Enrollment.rollout_id,
            func.count(),
            count_if(withdrawn),
            count_if(removed),
            count_if(and_(stayed, reached_by(t, *STAGE_STAMPS))),
            count_if(and_(stayed, approval_kept, reached_by(t, *STAGE_STAMPS[1:]))),
            count_if(and_(stayed, reached_by(t, *STAGE_STAMPS[2:]))),
            count_if(Enrollment.completed_at <= t),
            count_if(Enrollment.goal_reached.is_not(None)),
            count_if(Enrollment.goal_reached == "reached"),
            count_if(Enrollment.goal_reached == "partly"),
            count_if(unpaired),
        )
        .join(cut, cut.c.region_id == Enrollment.region_id)
        .where(Enrollment.invited_at <= t)
        .group_by(Enrollment.region_id, Enrollment.rollout_id)
    )
    for rid, rollout_id, *counts in rows:
        enrolled, wd, rm, com, ta, act, done, answered, reached, partly, alone = counts
        f = figures[rid]
        for key, n in (
            ("enrolled", enrolled),
            ("withdrawn", wd),
            ("removed", rm),
            ("in_program", enrolled - wd - rm),
            ("completed", done),
            ("goal_answered", answered),
            ("goal_reached", reached),
            ("goal_partly", partly),
            ("without_buddy", alone),
        ):
            f[key] = f.get(key, 0) + n
        for key, n in (
            ("invited", enrolled - wd - rm),
            ("committed", com),
            ("time_approved", ta),
            ("active", act),
            ("completed", done),
        ):
            f["funnel"][key] = f["funnel"].get(key, 0) + n
        f.setdefault("programs", {})[rollout_id] = {
            "enrolled": enrolled,
            "withdrawn": wd,
            "in_program": enrolled - wd - rm,
            "completed": done,
            "on_pace": 0,
        }


def required_modules(program: Program, day: date) -> int:
    """Modules a learner of ``program`` should have completed by the end of ``day``
    (the last day counted):
    the previous term's requirement plus the current term's extra modules pro rata
    (floor), the whole requirement once a term has ended."""
    previous = 0
    for term in sorted(program.terms, key=lambda t: t.number):
        required = len(term.required_modules)
        if day >= term.ends_on:
            previous = required
            continue
        if day < term.starts_on:
            return previous
        length = (term.ends_on - term.starts_on).days + 1
        elapsed = (day - term.starts_on).days + 1
        return previous + ((required - previous) * elapsed) // length
    return previous


def add_on_pace(
    figures: dict[int, dict[str, Any]],
    cutoffs: dict[int, datetime],
    days: dict[int, date],
    table: Callable[[str], FromClause],
) -> None:
    rollouts = db.session.execute(
        select(Rollout.id, Rollout.region_id, Rollout.program_id).where(
            Rollout.region_id.in_(cutoffs)
        )
    ).all()
    program_ids = {r.program_id for r in rollouts}
    programs = {
        p.id: p for p in db.session.scalars(select(Program).where(Program.id.in_(program_ids)))
    }
    # terms and their required modules in two statements, whatever the number of programs
    db.session.scalars(
        select(Term)
        .where(Term.program_id.in_(program_ids))
        .options(selectinload(Term.required_modules))
    ).all()
    required = key_table(
        {r.id: required_modules(programs[r.program_id], days[r.region_id]) for r in rollouts},
        name="required",
    )
    inner = table("cutoff_progress")
    done = (
        select(ModuleProgress.enrollment_id, func.count().label("n"))
        .join(inner, inner.c.region_id == ModuleProgress.region_id)
        .where(ModuleProgress.completed.is_(True), ModuleProgress.observed_at <= inner.c.t)
        .group_by(ModuleProgress.enrollment_id)
        .subquery()
    )
    cut = table("cutoff")
    rows = db.session.execute(
        select(Enrollment.region_id, Enrollment.rollout_id, func.count())
        .join(cut, cut.c.region_id == Enrollment.region_id)
        .join(required, required.c.key == Enrollment.rollout_id)
        .outerjoin(done, done.c.enrollment_id == Enrollment.id)
        .where(
            in_program_at(cut.c.t),
            or_(
                Enrollment.completed_at <= cut.c.t,
                func.coalesce(done.c.n, 0) >= required.c.value,
            ),
        )
        .group_by(Enrollment.region_id, Enrollment.rollout_id)
    )
    for rid, rollout_id, n in rows:
        figures[rid]["on_pace"] += n
        if rollout_id in figures[rid].get("programs", {}):
            figures[rid]["programs"][rollout_id]["on_pace"] = n


def add_active(figures: dict[int, dict[str, Any]], cut: FromClause) -> None:
    rows = db.session.execute(
        select(Enrollment.region_id, func.count(func.distinct(Enrollment.id)))
        .join(cut, cut.c.region_id == Enrollment.region_id)
        .join(ModuleProgress, ModuleProgress.enrollment_id == Enrollment.id)
        .where(
            in_program_at(cut.c.t),
            ModuleProgress.observed_at > cut.c.since_7d,
            ModuleProgress.observed_at <= cut.c.t,
        )
        .group_by(Enrollment.region_id)
    )
    for rid, n in rows:
        figures[rid]["active_7d"] = n


def add_approvals(
    figures: dict[int, dict[str, Any]], table: Callable[[str], FromClause]
) -> float | None:
    """Counts per region and the medians; returns the median over every region."""
    ta = TimeAllocation
    cut = table("cutoff")
    t = cut.c.t
    approved = and_(ta.status == AllocationStatus.APPROVED, ta.decided_at <= t)
    pending = or_(ta.decided_at.is_(None), ta.decided_at > t)
    rows = db.session.execute(
        select(
            ta.region_id,
            func.count(),
            count_if(approved),
            count_if(pending),
            func.count(
                func.distinct(case((pending, func.coalesce(ta.delegate_id, ta.manager_id))))
            ),
        )
        .join(cut, cut.c.region_id == ta.region_id)
        .where(ta.requested_at <= t)
        .group_by(ta.region_id)
    )
    for rid, requested, n_approved, n_pending, deciders in rows:
        figures[rid].update(
            approvals_requested=requested,
            approvals_approved=n_approved,
            approvals_pending=n_pending,
            approvals_pending_managers=deciders,
        )
    cut = table("cutoff_median")
    t = cut.c.t
    hours = hours_between(ta.requested_at, ta.decided_at)
    decided = and_(ta.status == AllocationStatus.APPROVED, ta.decided_at <= t, ta.requested_at <= t)
    if db.session.get_bind().dialect.name == "postgresql":
        # an ordered-set aggregate over grouping sets: one sort gives each region's median and
        # everyone's (region NULL); the windows below sort every row twice and scan twice
        rows = db.session.execute(
            select(ta.region_id, func.percentile_cont(0.5).within_group(hours))
            .join(cut, cut.c.region_id == ta.region_id)
            .where(decided)
            .group_by(func.grouping_sets(ta.region_id, tuple_()))
        )
    else:  # SQLite has no percentile_cont: the middle rows by their numbers
        durations = (
            select(
                ta.region_id.label("region_id"),
                hours.label("h"),
                func.row_number().over(partition_by=ta.region_id, order_by=hours).label("rn"),
                func.count().over(partition_by=ta.region_id).label("n"),
                func.row_number().over(order_by=hours).label("grn"),
                func.count().over().label("gn"),
            )
            .join(cut, cut.c.region_id == ta.region_id)
            .where(decided)
            .subquery()
        )
        d = durations.c
        middle = or_(d.rn == (d.n + 1) // 2, d.rn == (d.n + 2) // 2)
        global_middle = or_(d.grn == (d.gn + 1) // 2, d.grn == (d.gn + 2) // 2)
        # one statement: per-region medians, and the global one as region NULL
        rows = db.session.execute(
            select(d.region_id, func.avg(d.h))
            .where(middle)
            .group_by(d.region_id)
            .union_all(select(null(), func.avg(d.h)).where(global_middle))
        )
    overall = None
    for rid, median in rows:
        value = None if median is None else round(float(median), 1)
        if rid is None:
            overall = value
        else:
            figures[rid]["median_hours_to_approval"] = value
    return overall


def add_calls(figures: dict[int, dict[str, Any]], cut: FromClause) -> None:
    held = and_(
        CallSession.status == CallStatus.SCHEDULED,
        CallSession.starts_at > cut.c.since_28d,
        CallSession.starts_at <= cut.c.t,
    )
    sessions = (
        select(CallSession.region_id, func.count(), literal(0).label("kind"))
        .join(cut, cut.c.region_id == CallSession.region_id)
        .where(held)
        .group_by(CallSession.region_id)
    )
    attendees = (
        select(Enrollment.region_id, func.count(func.distinct(Enrollment.id)), literal(1))
        .join(cut, cut.c.region_id == Enrollment.region_id)
        .join(CallAttendance, CallAttendance.enrollment_id == Enrollment.id)
        .join(CallSession, CallSession.id == CallAttendance.session_id)
        .where(CallAttendance.attended.is_(True), held, in_program_at(cut.c.t))
        .group_by(Enrollment.region_id)
    )
    for rid, n, kind in db.session.execute(sessions.union_all(attendees)):
        figures[rid]["calls_held_28d" if kind == 0 else "call_attendees_28d"] = n


def add_free_riders(
    figures: dict[int, dict[str, Any]],
    table: Callable[[str], FromClause],
    regions: dict[int, Region],
    *,
    with_names: bool,
) -> None:
    tr = TermReview
    cut = table("cutoff")
    confirmed = and_(
        tr.verdict == Verdict.CONFIRMED_FREE_RIDER,
        or_(tr.reviewed_at.is_(None), tr.reviewed_at <= cut.c.t),
    )
    rows = db.session.execute(
        select(
            tr.region_id,
            count_if(confirmed),
            count_if(tr.verdict == Verdict.FREE_RIDER_CANDIDATE),
        )
        .join(cut, cut.c.region_id == tr.region_id)
        .group_by(tr.region_id)
    )
    for rid, n_confirmed, n_candidates in rows:
        figures[rid].update(free_riders=n_confirmed, free_rider_candidates=n_candidates)
    named = [rid for rid in figures if regions[rid].names_individuals]
    for rid in named:
        figures[rid]["free_rider_names"] = []
    if not with_names or not named:
        return  # an aggregate region's names are never even read
    cut = table("cutoff_names")
    rows = db.session.execute(
        select(tr.region_id, Person.name, Term.number, Term.title)
        .join(cut, cut.c.region_id == tr.region_id)
        .join(Enrollment, Enrollment.id == tr.enrollment_id)
        .join(Person, Person.id == Enrollment.person_id)
        .join(Term, Term.id == tr.term_id)
        .where(
            tr.region_id.in_(named),
            tr.verdict == Verdict.CONFIRMED_FREE_RIDER,
            or_(tr.reviewed_at.is_(None), tr.reviewed_at <= cut.c.t),
        )
        .order_by(tr.region_id, Term.number, Person.name)
    )
    for rid, name, term_number, term_title in rows:
        figures[rid]["free_rider_names"].append(
            {"name": name, "term": term_number, "term_title": term_title.strip()}
        )


def add_master_classes(figures: dict[int, dict[str, Any]], cut: FromClause) -> None:
    inv = MasterClassInvitation
    yes = and_(
        inv.status.in_(RSVP_YES), or_(inv.responded_at.is_(None), inv.responded_at <= cut.c.t)
    )
    rows = db.session.execute(
        select(inv.region_id, func.count(), count_if(yes))
        .join(cut, cut.c.region_id == inv.region_id)
        .where(inv.invited_at <= cut.c.t)
        .group_by(inv.region_id)
    )
    for rid, invited, rsvps in rows:
        figures[rid].update(masterclass_invited=invited, masterclass_rsvps=rsvps)


def add_buddies(figures: dict[int, dict[str, Any]], cut: FromClause) -> None:
    tr = TermReview
    rows = db.session.execute(
        select(tr.region_id, func.count(), count_if(tr.buddy_confirmed_at <= cut.c.t))
        .join(cut, cut.c.region_id == tr.region_id)
        .join(Term, Term.id == tr.term_id)
        .where(tr.verdict != Verdict.EXCUSED, Term.ends_on <= cut.c.day)
        .group_by(tr.region_id)
    )
    for rid, reviews, signed in rows:
        figures[rid].update(buddy_reviews=reviews, buddy_signed=signed)
