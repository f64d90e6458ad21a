"""Read side of the roster import pages."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from app.extensions import db
from app.roster.models import RosterImport, RosterImportIssue


def recent_imports(rollout_id: int, *, limit: int = 10) -> list[RosterImport]:
    """A rollout's latest roster imports, newest first."""
    return list(
        db.session.scalars(
            select(RosterImport)
            .where(RosterImport.rollout_id == rollout_id)
            .order_by(RosterImport.id.desc())
            .limit(limit)
        )
    )


def import_issues(
    import_id: int, *, refused: bool, limit: int | None = None
) -> Iterable[RosterImportIssue]:
    """An import's refused rows (or its notes on rows it kept), by line."""
    stmt = (
        select(RosterImportIssue)
        .where(RosterImportIssue.import_id == import_id, RosterImportIssue.refused.is_(refused))
        .order_by(RosterImportIssue.line)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return db.session.scalars(stmt)
