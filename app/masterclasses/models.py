"""Master classes for finishers, and their invitations."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, RegionScoped, str_enum, utcnow


class MasterClass(Base):
    __tablename__ = "master_class"

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
    #: also require every term's buddy sign-off
    requires_buddy_signoff: Mapped[bool] = mapped_column(default=False)
    #: an in-person session unlocked only for those who completed the base requirements
    face_to_face: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvitationStatus(enum.StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    DECLINED = "declined"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class MasterClassInvitation(RegionScoped, Base):
    __tablename__ = "master_class_invitation"
    __table_args__ = (UniqueConstraint("master_class_id", "enrollment_id"),)

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
