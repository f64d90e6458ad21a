"""Demo data for rollouts: buddies paired, a few named buddies, a flagged roster gap (the
roster import the lead sees is :mod:`app.roster.demo`'s).

Idempotent: pairing only touches unpaired learners; the rest is looked up first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.rollouts.buddies import pair_buddies
from app.rollouts.models import Enrollment, EnrollmentState


def seed(ctx: Any) -> None:
    for code, rollout in sorted(ctx.rollouts.items()):
        region = ctx.regions[code]
        enrollments = list(
            db.session.scalars(
                select(Enrollment)
                .where(Enrollment.rollout_id == rollout.id)
                .order_by(Enrollment.id)
            )
        )
        if not enrollments:
            continue
        if not any(e.buddy_group is not None for e in enrollments):
            committed = [e for e in enrollments if e.state is EnrollmentState.COMMITTED]
            if len(committed) >= 2:  # two colleagues asked for each other
                a, b = committed[0], committed[1]
                a.requested_buddy, b.requested_buddy = b.person.email, a.person.email
            pair_buddies(region=region, rollout=rollout)
            # one learner left the company: the last roster no longer lists them
            enrollments[-1].missing_from_roster = True
