"""Read side of rollouts: counts for dashboards, one grouped query each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select

from app.extensions import db
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


def funnel(counts: dict[EnrollmentState, int]) -> list[tuple[EnrollmentState, int]]:
    """Cumulative funnel: everyone who reached at least each stage."""
    reached = []
    for i, stage in enumerate(FUNNEL):
        reached.append((stage, sum(counts.get(s, 0) for s in FUNNEL[i:])))
    return reached
