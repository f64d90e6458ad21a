"""Every number Summit reports, defined once, computed for all regions at once.

Each metric family is ONE grouped query over every region (the statement count does
not grow with learners or regions). Each region is counted up to its own instant
(its week end in its own time zone), given in ``cutoffs``. Dashboards, report emails,
CSV exports and the archive all read these figures; nothing else counts.

Definitions (DESIGN.md "Metrics"), all "as of" the region's cutoff ``t``:

- enrolled: invited by ``t``; withdrawn / removed: left by ``t`` as withdrawn (excused) /
  removed (free rider); in program = enrolled − withdrawn − removed.
- funnel: learners in the program who reached each stage by ``t`` (committed, time
  approved, active, completed), from the enrollment's stage timestamps; cumulative (a
  later stage counts for every earlier one), and a learner whose manager took back the
  approval is committed again. The rollout pages count the same stages from the current
  state (``app.rollouts.queries.funnel``); tests/metrics/test_one_definition.py holds
  them equal.
- completion rate = completed / (enrolled − withdrawn).
- on pace: in the program and modules completed (as last reported) ≥ modules required
  by ``t``, pro rata within the current term (floor); a completer is on pace.
- active in the last 7 days: in the program, with a ModuleProgress observation in
  ``(t − 7 days, t]``.
- approvals: requested by ``t``; pending at ``t`` (not decided by ``t``); approval rate =
  approved / requested; median time to approval = median hours requested → approved.
- call attendance rate = learners in the program who attended at least one held
  expert call in ``(t − 28 days, t]`` / learners in the program.
- free riders: confirmed (verdict confirmed_free_rider, reviewed by ``t``) and
  candidates awaiting the lead's review. Names only for ``named`` regions, and only
  queried for those.
- goal attainment = answered "reached" / answered the survey, and / enrolled.
- master-class RSVPs: invitations answered yes (accepted, attended, no-show).
- buddy sign-off rate = reviews of ended terms (excused ones aside) signed by the
  buddy by ``t`` / those reviews.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, null, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import Subquery
from sqlalchemy.sql.elements import ColumnElement

from app.approvals.models import AllocationStatus, TimeAllocation
from app.calls.models import CallAttendance, CallSession, CallStatus
from app.extensions import db
from app.masterclasses.models import InvitationStatus, MasterClass, MasterClassInvitation
from app.metrics.sql import cutoff_table, hours_between, key_table
from app.people.models import Person
from app.programs.models import Program, Term
from app.progress.models import ModuleProgress
from app.rates import approval_rate, completion_rate, ratio
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout, RolloutStatus
from app.terms.models import TermReview, Verdict

ACTIVE_WINDOW = timedelta(days=7)
CALL_WINDOW = timedelta(days=28)
UPCOMING_CALLS = timedelta(days=14)
UPCOMING_MASTER_CLASSES = timedelta(days=42)
#: the windows each region's cutoff row carries (see app.metrics.sql.cutoff_table)
WINDOWS = {"since_7d": -ACTIVE_WINDOW, "since_28d": -CALL_WINDOW}
RSVP_YES = (InvitationStatus.ACCEPTED, InvitationStatus.ATTENDED, InvitationStatus.NO_SHOW)
FUNNEL_KEYS = ("invited", "committed", "time_approved", "active", "completed")

#: the counts that add up across regions (the global figures pool them)
COUNT_KEYS = (
    "enrolled",
    "withdrawn",
    "removed",
    "in_program",
    "completed",
    "on_pace",
    "active_7d",
    "approvals_requested",
    "approvals_approved",
    "approvals_pending",
    "calls_held_28d",
    "call_attendees_28d",
    "free_riders",
    "free_rider_candidates",
    "goal_answered",
    "goal_reached",
    "goal_partly",
    "masterclass_invited",
    "masterclass_rsvps",
    "buddy_reviews",
    "buddy_signed",
)


def derive_rates(f: dict[str, Any]) -> dict[str, Any]:
    """Add every rate to a figures dict from its counts (one formula for all channels)."""
    f["completion_rate"] = completion_rate(
        completed=f["completed"], enrolled=f["enrolled"], withdrawn=f["withdrawn"]
    )
    f["on_pace_rate"] = ratio(f["on_pace"], f["in_program"])
    f["active_7d_rate"] = ratio(f["active_7d"], f["in_program"])
    f["approval_rate"] = approval_rate(
        approved=f["approvals_approved"], requested=f["approvals_requested"]
    )
    f["call_attendance_rate"] = ratio(f["call_attendees_28d"], f["in_program"])
    f["goal_attainment_answered"] = ratio(f["goal_reached"], f["goal_answered"])
    f["goal_attainment_enrolled"] = ratio(f["goal_reached"], f["enrolled"])
    f["buddy_signoff_rate"] = ratio(f["buddy_signed"], f["buddy_reviews"])
    return f


@dataclass(frozen=True)
class Snapshot:
    """The figures of every region at its cutoff, and the pooled global figures."""

    regions: dict[int, dict[str, Any]]
    overall: dict[str, Any]


def compute(cutoffs: dict[int, datetime], *, with_names: bool = True) -> Snapshot:
    """Every metric for the regions in ``cutoffs`` (region id → instant counted up to).

    Read-only. A constant number of statements whatever the number of learners.
    """
    region_rows = {
        r.id: r for r in db.session.scalars(select(Region).where(Region.id.in_(cutoffs)))
    }
    cutoffs = {rid: at for rid, at in cutoffs.items() if rid in region_rows}
    figures: dict[int, dict[str, Any]] = {}
    for rid, region in region_rows.items():
        figures[rid] = {
            "region": {
                "id": rid,
                "code": region.code,
                "name": region.name,
                "policy": region.reporting_policy.value,
            },
            "as_of": cutoffs[rid].isoformat(),
            **dict.fromkeys(COUNT_KEYS, 0),
            "funnel": dict.fromkeys(FUNNEL_KEYS, 0),
            "median_hours_to_approval": None,
        }
    if not cutoffs:
        return Snapshot(regions={}, overall=pool([]))
    # the last local day counted (the cutoff is the first instant not counted)
    days = {
        rid: (cutoffs[rid] - timedelta(microseconds=1))
        .astimezone(ZoneInfo(region_rows[rid].time_zone))
        .date()
        for rid in cutoffs
    }

    def table(name: str = "cutoff") -> Subquery:
        return cutoff_table(cutoffs, days, windows=WINDOWS, name=name)

    _enrollment_family(figures, table())
    _on_pace(figures, cutoffs, days, table)
    _active(figures, table())
    overall_median = _approvals(figures, table)
    _calls(figures, table())
    _free_riders(figures, table, region_rows, with_names=with_names)
    _master_classes(figures, table())
    _buddies(figures, table())
    for f in figures.values():
        derive_rates(f)
    overall = pool(list(figures.values()))
    overall["median_hours_to_approval"] = overall_median
    return Snapshot(regions=figures, overall=overall)


def funnel_at(cutoffs: dict[int, datetime]) -> dict[int, dict[str, int]]:
    """The funnel (``FUNNEL_KEYS``) of each region at its cutoff, as :func:`compute` counts
    it, in one statement: for pages that show the funnel and nothing else."""
    figures: dict[int, dict[str, Any]] = {
        rid: {"funnel": dict.fromkeys(FUNNEL_KEYS, 0)} for rid in cutoffs
    }
    if cutoffs:
        _enrollment_family(figures, cutoff_table(cutoffs))
    return {rid: f["funnel"] for rid, f in figures.items()}


def pool(region_figures: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several regions together: counts summed, rates recomputed."""
    total: dict[str, Any] = dict.fromkeys(COUNT_KEYS, 0)
    total["funnel"] = dict.fromkeys(FUNNEL_KEYS, 0)
    for f in region_figures:
        for key in COUNT_KEYS:
            total[key] += f[key]
        for key in FUNNEL_KEYS:
            total["funnel"][key] += f["funnel"][key]
    total["median_hours_to_approval"] = None
    return derive_rates(total)


def _sum(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _left_by(t: Any) -> ColumnElement[bool]:
    """Withdrawn (excused) or removed (free rider) by ``t``."""
    return and_(
        Enrollment.state.in_([EnrollmentState.WITHDRAWN, EnrollmentState.REMOVED]),
        Enrollment.left_at <= t,
    )


#: the stamps of the funnel's stages after invited, in order
_STAGE_STAMPS = (
    Enrollment.committed_at,
    Enrollment.time_approved_at,
    Enrollment.activated_at,
    Enrollment.completed_at,
)


def _reached(t: Any, *stamps: Any) -> ColumnElement[bool]:
    """Reached a stage by ``t``: that stage's stamp or a later one (the funnel is cumulative:
    a learner whose progress import completed them straight from time approved was active)."""
    return or_(*(stamp <= t for stamp in stamps))


def _in_program_at(t: Any) -> ColumnElement[bool]:
    return and_(Enrollment.invited_at <= t, ~_left_by(t))


def _enrollment_family(figures: dict[int, dict[str, Any]], cut: Subquery) -> None:
    t = cut.c.t
    withdrawn = and_(Enrollment.state == EnrollmentState.WITHDRAWN, Enrollment.left_at <= t)
    removed = and_(Enrollment.state == EnrollmentState.REMOVED, Enrollment.left_at <= t)
    stayed = ~or_(withdrawn, removed)
    # a manager who took back their approval sent the learner back to committed
    approval_kept = Enrollment.state != EnrollmentState.COMMITTED
    rows = db.session.execute(
        select(
            Enrollment.region_id,
            func.count(),
            _sum(withdrawn),
            _sum(removed),
            _sum(and_(stayed, _reached(t, *_STAGE_STAMPS))),
            _sum(and_(stayed, approval_kept, _reached(t, *_STAGE_STAMPS[1:]))),
            _sum(and_(stayed, _reached(t, *_STAGE_STAMPS[2:]))),
            _sum(Enrollment.completed_at <= t),
            _sum(Enrollment.goal_reached.is_not(None)),
            _sum(Enrollment.goal_reached == "reached"),
            _sum(Enrollment.goal_reached == "partly"),
        )
        .join(cut, cut.c.region_id == Enrollment.region_id)
        .where(Enrollment.invited_at <= t)
        .group_by(Enrollment.region_id)
    )
    for rid, enrolled, wd, rm, com, ta, act, done, answered, reached, partly in rows:
        f = figures[rid]
        f.update(
            enrolled=enrolled,
            withdrawn=wd,
            removed=rm,
            in_program=enrolled - wd - rm,
            completed=done,
            goal_answered=answered,
            goal_reached=reached,
            goal_partly=partly,
        )
        f["funnel"] = {
            "invited": enrolled - wd - rm,
            "committed": com,
            "time_approved": ta,
            "active": act,
            "completed": done,
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


def _on_pace(
    figures: dict[int, dict[str, Any]],
    cutoffs: dict[int, datetime],
    days: dict[int, date],
    table: Callable[[str], Subquery],
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
        select(Enrollment.region_id, func.count())
        .join(cut, cut.c.region_id == Enrollment.region_id)
        .join(required, required.c.key == Enrollment.rollout_id)
        .outerjoin(done, done.c.enrollment_id == Enrollment.id)
        .where(
            _in_program_at(cut.c.t),
            or_(
                Enrollment.completed_at <= cut.c.t,
                func.coalesce(done.c.n, 0) >= required.c.value,
            ),
        )
        .group_by(Enrollment.region_id)
    )
    for rid, n in rows:
        figures[rid]["on_pace"] = n


def _active(figures: dict[int, dict[str, Any]], cut: Subquery) -> None:
    rows = db.session.execute(
        select(Enrollment.region_id, func.count(func.distinct(Enrollment.id)))
        .join(cut, cut.c.region_id == Enrollment.region_id)
        .join(ModuleProgress, ModuleProgress.enrollment_id == Enrollment.id)
        .where(
            _in_program_at(cut.c.t),
            ModuleProgress.observed_at > cut.c.since_7d,
            ModuleProgress.observed_at <= cut.c.t,
        )
        .group_by(Enrollment.region_id)
    )
    for rid, n in rows:
        figures[rid]["active_7d"] = n


def _approvals(
    figures: dict[int, dict[str, Any]], table: Callable[[str], Subquery]
) -> float | None:
    """Counts per region and the medians; returns the median over every region."""
    ta = TimeAllocation
    cut = table("cutoff")
    t = cut.c.t
    approved = and_(ta.status == AllocationStatus.APPROVED, ta.decided_at <= t)
    pending = or_(ta.decided_at.is_(None), ta.decided_at > t)
    rows = db.session.execute(
        select(ta.region_id, func.count(), _sum(approved), _sum(pending))
        .join(cut, cut.c.region_id == ta.region_id)
        .where(ta.requested_at <= t)
        .group_by(ta.region_id)
    )
    for rid, requested, n_approved, n_pending in rows:
        figures[rid].update(
            approvals_requested=requested,
            approvals_approved=n_approved,
            approvals_pending=n_pending,
        )
    cut = table("cutoff_median")
    t = cut.c.t
    hours = hours_between(ta.requested_at, ta.decided_at)
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
        .where(ta.status == AllocationStatus.APPROVED, ta.decided_at <= t, ta.requested_at <= t)
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


def _calls(figures: dict[int, dict[str, Any]], cut: Subquery) -> None:
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
        .where(CallAttendance.attended.is_(True), held, _in_program_at(cut.c.t))
        .group_by(Enrollment.region_id)
    )
    for rid, n, kind in db.session.execute(sessions.union_all(attendees)):
        figures[rid]["calls_held_28d" if kind == 0 else "call_attendees_28d"] = n


def _free_riders(
    figures: dict[int, dict[str, Any]],
    table: Callable[[str], Subquery],
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
            _sum(confirmed),
            _sum(tr.verdict == Verdict.FREE_RIDER_CANDIDATE),
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
        select(tr.region_id, Person.name, Term.number)
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
    for rid, name, term_number in rows:
        figures[rid]["free_rider_names"].append({"name": name, "term": term_number})


def _master_classes(figures: dict[int, dict[str, Any]], cut: Subquery) -> None:
    inv = MasterClassInvitation
    yes = and_(
        inv.status.in_(RSVP_YES), or_(inv.responded_at.is_(None), inv.responded_at <= cut.c.t)
    )
    rows = db.session.execute(
        select(inv.region_id, func.count(), _sum(yes))
        .join(cut, cut.c.region_id == inv.region_id)
        .where(inv.invited_at <= cut.c.t)
        .group_by(inv.region_id)
    )
    for rid, invited, rsvps in rows:
        figures[rid].update(masterclass_invited=invited, masterclass_rsvps=rsvps)


def _buddies(figures: dict[int, dict[str, Any]], cut: Subquery) -> None:
    tr = TermReview
    rows = db.session.execute(
        select(tr.region_id, func.count(), _sum(tr.buddy_confirmed_at <= cut.c.t))
        .join(cut, cut.c.region_id == tr.region_id)
        .join(Term, Term.id == tr.term_id)
        .where(tr.verdict != Verdict.EXCUSED, Term.ends_on <= cut.c.day)
        .group_by(tr.region_id)
    )
    for rid, reviews, signed in rows:
        figures[rid].update(buddy_reviews=reviews, buddy_signed=signed)


def upcoming(cutoffs: dict[int, datetime]) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """Expert calls (next 14 days) and master classes (next 6 weeks) after each cutoff."""
    found: dict[int, dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: {"calls": [], "master_classes": []}
    )
    if not cutoffs:
        return found
    cut = cutoff_table(cutoffs, windows={"until": UPCOMING_CALLS})
    calls = db.session.execute(
        select(CallSession.region_id, CallSession.starts_at, Program.title)
        .join(cut, cut.c.region_id == CallSession.region_id)
        .join(Rollout, Rollout.id == CallSession.rollout_id)
        .join(Program, Program.id == Rollout.program_id)
        .where(
            CallSession.status == CallStatus.SCHEDULED,
            CallSession.starts_at >= cut.c.t,
            CallSession.starts_at < cut.c.until,
        )
        .order_by(CallSession.starts_at)
    )
    for rid, starts_at, title in calls:
        found[rid]["calls"].append({"starts_at": starts_at.isoformat(), "title": title})
    earliest = min(cutoffs.values())
    latest = max(cutoffs.values()) + UPCOMING_MASTER_CLASSES
    classes = db.session.execute(
        select(
            MasterClass.region_id,
            MasterClass.program_id,
            MasterClass.title,
            MasterClass.starts_at,
            MasterClass.capacity,
            func.count(MasterClassInvitation.id).filter(
                MasterClassInvitation.status == InvitationStatus.ACCEPTED
            ),
        )
        .outerjoin(MasterClassInvitation, MasterClassInvitation.master_class_id == MasterClass.id)
        .where(MasterClass.starts_at >= earliest, MasterClass.starts_at < latest)
        .group_by(MasterClass.id)
        .order_by(MasterClass.starts_at)
    ).all()
    programs_by_region: dict[int, set[int]] = defaultdict(set)
    for rid, pid in db.session.execute(
        select(Rollout.region_id, Rollout.program_id).where(
            Rollout.region_id.in_(cutoffs), Rollout.status != RolloutStatus.DRAFT
        )
    ):
        programs_by_region[rid].add(pid)
    for mc_region, program_id, title, starts_at, capacity, accepted in classes:
        targets = [mc_region] if mc_region is not None else list(cutoffs)
        for rid in targets:
            if rid not in cutoffs or program_id not in programs_by_region[rid]:
                continue
            if not cutoffs[rid] <= starts_at < cutoffs[rid] + UPCOMING_MASTER_CLASSES:
                continue
            found[rid]["master_classes"].append(
                {
                    "starts_at": starts_at.isoformat(),
                    "title": title,
                    "capacity": capacity,
                    "accepted": accepted,
                }
            )
    return found
