"""Read side of the home page, the region overview and the region switcher."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text

from app.db import utcnow
from app.extensions import db
from app.metrics.queries import funnel_at
from app.rates import completion_rate
from app.readcache import read_cache
from app.regions.models import Region
from app.rollouts.models import EnrollmentState, Rollout
from app.rollouts.queries import TREND_WEEKS, completion_trend, completion_weeks, state_counts
from app.weeks import last_complete_week, shift_week, week_end


def rollouts_by_slug(region_id: int | None = None) -> list[Rollout]:
    """The rollouts the request may see (of one region), by slug."""
    stmt = select(Rollout).order_by(Rollout.slug)
    if region_id is not None:
        stmt = stmt.where(Rollout.region_id == region_id)
    return list(db.session.scalars(stmt))


@read_cache.cached(reads=("enrollment",))
def cached_state_counts(rollout_ids: tuple[int, ...]) -> dict[int, dict[Any, int]]:
    counts = state_counts(rollout_ids)
    return {rid: counts[rid] for rid in rollout_ids}


@read_cache.cached(reads=("enrollment",))
def funnel_now(region_id: int) -> dict[str, int]:
    """The region's funnel now (its stamps are all in the past: it moves only on commit)."""
    return funnel_at({region_id: utcnow()})[region_id]


@read_cache.cached(reads=("region",))
def regions_in_scope() -> list[Any]:
    """The region switcher's list: three columns, not the models, counted under the
    request's region scope (which the read cache adds to the key itself)."""
    return db.session.execute(
        select(Region.id, Region.code, Region.name).order_by(Region.name)
    ).all()


def database_answers() -> str:
    """ "ok", or "down: <error type>" when the database does not answer (health check)."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "down" here
        db.session.rollback()
        return f"down: {type(exc).__name__}"
    return "ok"


@dataclass(frozen=True)
class RunningRollout:
    """A region running a program, as the program page lists it."""

    rollout: Rollout
    region: Region
    enrolled: int
    completed: int
    completion_rate: float | None


def regions_running(program_id: int) -> list[RunningRollout]:
    """The rollouts of a program the request may see (region scoping), by region name,
    with their completion (``app.rates``: completed / (enrolled − withdrawn))."""
    rows = db.session.execute(
        select(Rollout, Region)
        .join(Region, Region.id == Rollout.region_id)
        .where(Rollout.program_id == program_id)
        .order_by(Region.name, Rollout.slug)
    ).all()
    counts = state_counts(r.id for r, _ in rows)
    running = []
    for rollout, region in rows:
        states = counts[rollout.id]
        enrolled = sum(states.values())
        completed = states[EnrollmentState.COMPLETED]
        running.append(
            RunningRollout(
                rollout=rollout,
                region=region,
                enrolled=enrolled,
                completed=completed,
                completion_rate=completion_rate(
                    completed=completed,
                    enrolled=enrolled,
                    withdrawn=states[EnrollmentState.WITHDRAWN],
                ),
            )
        )
    return running


def completion_weeks_all(regions: list[Region], now: datetime) -> list[tuple[str, float | None]]:
    """Every region pooled: the completion rate at the end of each of the last weeks (each
    region counted to its own week end), in one statement; weeks before any learner was
    invited are left out rather than drawn as empty."""
    if not regions:
        return []
    last = max(last_complete_week(now, r.time_zone) for r in regions)
    weeks = [shift_week(last, -k) for k in range(TREND_WEEKS - 1, -1, -1)]
    rates = completion_trend({w: {r.id: week_end(w, r.time_zone) for r in regions} for w in weeks})
    return _since_first_figure([(w, rates[w].get("all")) for w in weeks])


def completion_since_launch(region: Region, now: datetime) -> list[tuple[str, float | None]]:
    """The region's completion trend from the first week a learner was invited (learners
    are invited at launch): weeks before any rollout existed are left out, not drawn as
    a line of dashes."""
    return _since_first_figure(completion_weeks(region, now))


def _since_first_figure(
    weeks: list[tuple[str, float | None]],
) -> list[tuple[str, float | None]]:
    for i, (_, rate) in enumerate(weeks):
        if rate is not None:
            return weeks[i:]
    return []
