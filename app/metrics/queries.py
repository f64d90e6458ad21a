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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.sql import FromClause

from app.calls.models import CallSession, CallStatus
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
from app.rates import approval_rate, completion_rate, ratio
from app.regions.models import Region
from app.rollouts.models import Rollout, RolloutStatus
from app.weeks import week_end

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
    "approvals_pending_managers",
    "without_buddy",
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

    def table(name: str = "cutoff") -> FromClause:
        return cutoff_table(cutoffs, days, windows=WINDOWS, name=name)

    add_enrollments(figures, table())
    add_on_pace(figures, cutoffs, days, table)
    add_active(figures, table())
    overall_median = add_approvals(figures, table)
    add_calls(figures, table())
    add_free_riders(figures, table, region_rows, with_names=with_names)
    add_master_classes(figures, table())
    add_buddies(figures, table())
    name_programs(figures)
    for f in figures.values():
        derive_rates(f)
    overall = pool(list(figures.values()))
    overall["median_hours_to_approval"] = overall_median
    return Snapshot(regions=figures, overall=overall)


def name_programs(figures: dict[int, dict[str, Any]]) -> None:
    """Turn each region's per-rollout counts into a list by program title, with their rates
    (a region's programs are named in its report, never summed silently)."""
    rollout_ids = {rid for f in figures.values() for rid in f.get("programs", {})}
    titles = dict(
        db.session.execute(
            select(Rollout.id, Program.title)
            .join(Program, Program.id == Rollout.program_id)
            .where(Rollout.id.in_(rollout_ids))
        ).all()
    )
    for f in figures.values():
        programs = []
        for rollout_id, counts in f.get("programs", {}).items():
            programs.append(
                {
                    "program": titles.get(rollout_id, ""),
                    **counts,
                    "completion_rate": completion_rate(
                        completed=counts["completed"],
                        enrolled=counts["enrolled"],
                        withdrawn=counts["withdrawn"],
                    ),
                    "on_pace_rate": ratio(counts["on_pace"], counts["in_program"]),
                }
            )
        f["programs"] = sorted(programs, key=lambda p: p["program"])


def week_cutoffs(week: str, regions: list[Region]) -> dict[int, datetime]:
    """Each region's instant of ``week`` (its week end in its own zone): the cutoff of the
    weekly report and of the figures page for that week, so both count the same."""
    return {r.id: week_end(week, r.time_zone) for r in regions}


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
