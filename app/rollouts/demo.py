"""Demo data for rollouts: buddies paired, a few named buddies, a flagged roster gap,
and a previewed roster import waiting for the lead's confirmation in Germany.

Idempotent: pairing only touches unpaired learners; the rest is looked up first.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.rollouts.buddies import pair_buddies
from app.rollouts.models import (
    Enrollment,
    EnrollmentState,
    ImportStatus,
    RosterImport,
    RosterImportIssue,
)


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
        if (
            code == "de"
            and not db.session.scalars(
                select(RosterImport.id).where(RosterImport.rollout_id == rollout.id)
            ).first()
        ):
            _previewed_import(ctx, rollout)


def _previewed_import(ctx: Any, rollout) -> None:  # type: ignore[no-untyped-def]
    """A finished import with its per-row errors, as the lead sees it after an upload."""
    counts = {
        "new": 0,
        "changed": 3,
        "unchanged": 95,
        "errors": 2,
        "rows": 100,
        "missing": 1,
        "learners": 94,
    }
    imp = RosterImport(
        region_id=rollout.region_id,
        rollout_id=rollout.id,
        filename="HR-export-Germany.csv",
        stored_path=None,
        sha256="0" * 64,
        status=ImportStatus.APPLIED,
        preview_counts=counts,
        applied_counts=counts,
        created_at=utcnow() - timedelta(days=2),
        finished_at=utcnow() - timedelta(days=2),
    )
    imp.issues = [
        RosterImportIssue(
            region_id=rollout.region_id, line=17, column="Email", reason="invalid email"
        ),
        RosterImportIssue(
            region_id=rollout.region_id,
            line=58,
            column="Manager",
            reason="unknown manager (not in this file, not known to Summit)",
        ),
    ]
    db.session.add(imp)
