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
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, func, literal, select, union_all
from sqlalchemy.sql import Subquery
from sqlalchemy.sql.elements import ColumnElement

from app.calls.models import CallSession, CallStatus
from app.db import UTCDateTime
from app.extensions import db
from app.masterclasses.models import InvitationStatus, MasterClass, MasterClassInvitation
from app.metrics.families import (
    add_active,
    add_approvals,
    add_buddies,
    add_calls,
    add_enrollments,
    add_free_riders,
    add_master_classes,
    add_on_pace,
)
from app.metrics.sql import cutoff_table
from app.programs.models import Program
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout, RolloutStatus

ACTIVE_WINDOW = timedelta(days=7)
CALL_WINDOW = timedelta(days=28)
UPCOMING_CALLS = timedelta(days=14)
UPCOMING_MASTER_CLASSES = timedelta(days=42)
#: the windows each region's cutoff row carries (see app.metrics.sql.cutoff_table)
WINDOWS = {"since_7d": -ACTIVE_WINDOW, "since_28d": -CALL_WINDOW}
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


def ratio(numerator: int, denominator: int) -> float | None:
    """A rate, or None when there is nothing to divide by (shown as "—")."""
    return None if not denominator else numerator / denominator


def completion_rate(*, completed: int, enrolled: int, withdrawn: int) -> float | None:
    """completed / (enrolled − withdrawn): excused leavers leave the denominator, removed
    free riders stay in it. Every page that shows a completion rate uses this."""
    return ratio(completed, enrolled - withdrawn)


def approval_rate(*, approved: int, requested: int) -> float | None:
    """approved / requested: a request still pending counts against the rate."""
    return ratio(approved, requested)


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

    add_enrollments(figures, table())
    add_on_pace(figures, cutoffs, days, table)
    add_active(figures, table())
    overall_median = add_approvals(figures, table)
    add_calls(figures, table())
    add_free_riders(figures, table, region_rows, with_names=with_names)
    add_master_classes(figures, table())
    add_buddies(figures, table())
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
        add_enrollments(figures, cutoff_table(cutoffs))
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
        ends = [
            select(
                literal(rid, Integer()).label("region_id"),
                *(
                    literal(cutoffs_by_week[w].get(rid), UTCDateTime()).label(f"t{i}")
                    for i, w in enumerate(weeks)
                ),
            )
            for rid in region_ids
        ]
        cut = (ends[0] if len(ends) == 1 else union_all(*ends)).subquery("cutoff")

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
