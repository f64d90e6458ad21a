"""Master classes for finishers, and their invitations."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, RegionScoped, str_enum, utcnow


class MasterClass(Base):
    __tablename__ = "master_class"
    __table_args__ = (CheckConstraint("seats_taken <= capacity", name="seats_within_capacity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("program.id", ondelete="CASCADE"), index=True
    )
    #: NULL for a global master class open to every region
    region_id: Mapped[int | None] = mapped_column(
        ForeignKey("region.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    hosts: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=90)
    location: Mapped[str] = mapped_column(String(300), default="")
    join_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int] = mapped_column(default=30)
    #: places held (accepted, attended or no-show); changed only by an atomic conditional
    #: UPDATE so two concurrent accepts can never pass ``capacity``
    seats_taken: Mapped[int] = mapped_column(default=0, server_default="0")
    #: also require every term's buddy sign-off
    requires_buddy_signoff: Mapped[bool] = mapped_column(default=False)
    #: an in-person session unlocked only for those who completed the base requirements
    face_to_face: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(onupdate=utcnow)
    #: iCalendar SEQUENCE of this class's invitations: raised when the date or place changes
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")

    program = relationship("Program", lazy="joined")
    region = relationship("Region", lazy="joined")

    @property
    def is_global(self) -> bool:
        return self.region_id is None

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)


class InvitationStatus(enum.StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    DECLINED = "declined"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


#: the statuses that hold a place (counted in ``MasterClass.seats_taken``)
HOLDS_SEAT = frozenset(
    {InvitationStatus.ACCEPTED, InvitationStatus.ATTENDED, InvitationStatus.NO_SHOW}
)


class MasterClassInvitation(RegionScoped, Base):
    __tablename__ = "master_class_invitation"
    __table_args__ = (
        UniqueConstraint("master_class_id", "enrollment_id"),
        Index("ix_master_class_invitation_class_status", "master_class_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    master_class_id: Mapped[int] = mapped_column(ForeignKey("master_class.id", ondelete="CASCADE"))
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollment.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[InvitationStatus] = mapped_column(
        str_enum(InvitationStatus, 16), default=InvitationStatus.INVITED
    )
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime | None]
    #: position on the waitlist: the time the learner asked for a place
    waitlisted_at: Mapped[datetime | None]
    #: when a place freed by a decline went to this learner
    promoted_at: Mapped[datetime | None]
    #: the day-before reminder went out (never twice)
    reminder_sent_at: Mapped[datetime | None]
    attendance_recorded_at: Mapped[datetime | None]
    #: iCalendar SEQUENCE of the last ICS this learner got (raised at every one sent)
    calendar_sequence: Mapped[int] = mapped_column(default=0, server_default="0")

    master_class: Mapped[MasterClass] = relationship(lazy="joined")
    enrollment = relationship("Enrollment", lazy="joined")

    @property
    def holds_seat(self) -> bool:
        return self.status in HOLDS_SEAT
