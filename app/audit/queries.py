"""Read side of the audit trail page."""

from __future__ import annotations

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db


def events_page(
    *, region_id: int | None, action_prefix: str, page: int, page_size: int
) -> tuple[list[AuditEvent], int]:
    """One page of events, newest first (of one region, of actions starting with a
    prefix), and how many there are."""
    stmt = select(AuditEvent)
    if region_id is not None:
        stmt = stmt.where(AuditEvent.region_id == region_id)
    if action_prefix:
        stmt = stmt.where(AuditEvent.action.startswith(action_prefix, autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    events = db.session.scalars(
        stmt.order_by(AuditEvent.id.desc()).limit(page_size).offset((page - 1) * page_size)
    ).all()
    return list(events), total
