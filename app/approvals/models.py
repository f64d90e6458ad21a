"""TimeAllocation: a manager's decision on the study time of one report."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, RegionScoped, str_enum, utcnow


class AllocationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    #: the manager proposed other hours per week; the lead follows up
    PROPOSED = "proposed"


class TimeAllocation(RegionScoped, Base):
    __tablename__ = "time_allocation"
    __table_args__ = (Index("ix_time_allocation_manager_status", "manager_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollment.id", ondelete="CASCADE"), unique=True
    )
    #: the manager asked to decide (moves with a manager change in the roster)
    manager_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    #: a colleague the manager handed the request to, while on leave
    delegate_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    status: Mapped[AllocationStatus] = mapped_column(
        str_enum(AllocationStatus, 16), default=AllocationStatus.PENDING
    )
    hours_requested: Mapped[float]
    #: approved hours, or the hours the manager proposed instead
    hours_decided: Mapped[float | None]
    reason: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    #: "link" (the email's signed link) or "web" (a lead recorded it)
    decided_via: Mapped[str | None] = mapped_column(String(16))
    reminders_sent: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]

    enrollment = relationship("Enrollment", lazy="joined")
    manager = relationship("Person", foreign_keys=[manager_id])
    delegate = relationship("Person", foreign_keys=[delegate_id])
