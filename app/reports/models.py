"""Report: a weekly snapshot, stored exactly as it was sent."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class ReportScope(enum.StrEnum):
    REGION = "region"
    GLOBAL = "global"


class Report(Base):
    """One week's report of one region (or the global one), frozen when sent.

    Not :class:`~app.db.RegionScoped` (the global report has no region): every
    route filters it by ``g.region`` explicitly.
    """

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("scope", "region_id", "week"),
        # NULLs are distinct in a unique constraint: one global report per week needs its own
        Index(
            "uq_report_global_week",
            "week",
            unique=True,
            sqlite_where=text("region_id IS NULL"),
            postgresql_where=text("region_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "region" or "global"
    scope: Mapped[str] = mapped_column(String(16))
    #: NULL for the global report
    region_id: Mapped[int | None] = mapped_column(
        ForeignKey("region.id", ondelete="CASCADE"), index=True
    )
    #: ISO week, e.g. 2026-W48
    week: Mapped[str] = mapped_column(String(8))
    #: every number of the report (app.metrics), JSON-ready, as sent
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    #: the report's HTML content as sent (the chart referenced as cid:, see chart_png)
    html: Mapped[str] = mapped_column(Text, default="")
    #: the plain-text alternative as sent
    text: Mapped[str] = mapped_column(Text, default="")
    #: the CSV attachment as sent
    csv: Mapped[str] = mapped_column(Text, default="")
    #: the inline trend chart as sent (regional reports)
    chart_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    #: emails queued when it was sent
    recipients: Mapped[int] = mapped_column(default=0)


class GlobalReportOptOut(Base):
    """A global sponsor who unsubscribed from the global report (regional sponsors use
    ``RolloutSponsor.subscribed``)."""

    __tablename__ = "global_report_opt_out"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
