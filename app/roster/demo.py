"""Demo data for the roster: a finished import of Germany's HR export with its per-row
errors, as the lead sees it after an upload. Idempotent: looked up first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.roster.models import ImportStatus, RosterImport, RosterImportIssue


def seed(ctx: Any) -> None:
    rollout = ctx.rollouts.get("de")
    if (
        rollout is None
        or db.session.scalars(
            select(RosterImport.id).where(RosterImport.rollout_id == rollout.id)
        ).first()
    ):
        return
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
