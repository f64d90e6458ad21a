"""AuditEvent: an append-only record of every decision."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    region_id: Mapped[int | None] = mapped_column(
        ForeignKey("region.id", ondelete="SET NULL"), index=True
    )
    #: "staff", "person" (through a signed link), "system"
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None]
    #: a readable name at the time; replaced by a pseudonym when the person is erased
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    #: e.g. "approval.approved", "term.verdict", "enrollment.removed"
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    #: "web", "link", "cli", "job", "xapi"
    channel: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
