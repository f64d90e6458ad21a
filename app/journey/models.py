"""The weekly journey's rows: one send per learner and ISO week, its measured events,
a learner's pause, and a rollout's note of the week."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, RegionScoped, str_enum, utcnow


class JourneySend(RegionScoped, Base):
    """One weekly email to one learner: the unique key makes a week's send happen once,
    whatever retries or scheduler ticks run it again."""

    __tablename__ = "journey_send"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "week", name="uq_journey_send_enrollment_week"),
        Index("ix_journey_send_region_week", "region_id", "week"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: copied from the enrollment (no foreign key: the send path is bulk)
    region_id: Mapped[int] = mapped_column()
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    #: ISO week in the region's zone, e.g. 2026-W48
    week: Mapped[str] = mapped_column(String(8))
    #: the email carried an open pixel (False where the region reports only aggregates)
    measures_opens: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrollment = relationship("Enrollment")


class EventKind(enum.StrEnum):
    OPEN = "open"
    CLICK = "click"


class JourneyEvent(RegionScoped, Base):
    """Append-only measurement of a weekly email (an open pixel fetched, a link followed).

    Recording it changes no business state: no enrollment, progress or decision reads it;
    only the region report counts it."""

    __tablename__ = "journey_event"
    __table_args__ = (Index("ix_journey_event_send_kind", "send_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: copied from the send (no foreign key: an append-only log)
    region_id: Mapped[int] = mapped_column(index=True)
    send_id: Mapped[int] = mapped_column(ForeignKey("journey_send.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, 8))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class JourneyPause(RegionScoped, Base):
    """A learner asked for no weekly email (deleted when they resume it)."""

    __tablename__ = "journey_pause"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollment.id", ondelete="CASCADE"), unique=True
    )
    paused_at: Mapped[datetime] = mapped_column(default=utcnow)


class JourneyNote(RegionScoped, Base):
    """A rollout's note of the week: one line from the expert or a sponsor, quoted in the
    weekly emails sent within :data:`app.journey.content.NOTE_LIFETIME` of being set."""

    __tablename__ = "journey_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    rollout_id: Mapped[int] = mapped_column(
        ForeignKey("rollout.id", ondelete="CASCADE"), unique=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    #: who speaks (e.g. "Dr. Ada Weber, expert"); shown under the line
    author: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
