"""Weekly expert calls: sessions, questions asked before, attendance."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, RegionScoped, str_enum, utcnow


class CallStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class CallSession(RegionScoped, Base):
    __tablename__ = "call_session"
    __table_args__ = (UniqueConstraint("rollout_id", "series_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rollout_id: Mapped[int] = mapped_column(
        ForeignKey("rollout.id", ondelete="CASCADE"), index=True
    )
    #: the date the series put this session on (stable even when the session is moved)
    series_date: Mapped[date]
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=45)
    status: Mapped[CallStatus] = mapped_column(
        str_enum(CallStatus, 16), default=CallStatus.SCHEDULED
    )
    #: iCalendar SEQUENCE: raised on every change sent to attendees
    sequence: Mapped[int] = mapped_column(default=0)
    join_url: Mapped[str] = mapped_column(String(500), default="")
    #: why it moved or was cancelled (e.g. the public holiday's name)
    change_note: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rollout = relationship("Rollout")


class CallQuestion(RegionScoped, Base):
    __tablename__ = "call_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("call_session.id", ondelete="CASCADE"), index=True
    )
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollment.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    #: a stuck learner, not a content question
    blocked: Mapped[bool] = mapped_column(default=False)
    answered: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallAttendance(RegionScoped, Base):
    __tablename__ = "call_attendance"
    __table_args__ = (UniqueConstraint("session_id", "enrollment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("call_session.id", ondelete="CASCADE"))
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollment.id", ondelete="CASCADE"), index=True
    )
    attended: Mapped[bool] = mapped_column(default=True)
    minutes: Mapped[int | None]
    #: "web" or "upload"
    source: Mapped[str] = mapped_column(String(16), default="web")
