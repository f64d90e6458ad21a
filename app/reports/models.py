"""Report: a weekly snapshot, stored exactly as it was sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class Report(Base):
    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("scope", "region_id", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "region" or "global"
    scope: Mapped[str] = mapped_column(String(16))
    #: NULL for the global report
    region_id: Mapped[int | None] = mapped_column(
        ForeignKey("region.id", ondelete="CASCADE"), index=True
    )
    #: ISO week, e.g. 2026-W48
    week: Mapped[str] = mapped_column(String(8))
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    html: Mapped[str] = mapped_column(Text, default="")
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
