"""Read side of the home page, the region overview and the region switcher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text

from app.db import utcnow
from app.extensions import db
from app.metrics.queries import funnel_at
from app.rates import completion_rate
from app.readcache import read_cache
from app.regions.models import Region
from app.rollouts.models import EnrollmentState, Rollout
from app.rollouts.queries import state_counts


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
