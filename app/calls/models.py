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
    #: when learners were asked for their questions (two business days ahead)
    prompts_sent_at: Mapped[datetime | None]
    #: when the hosts got the morning agenda
    agenda_sent_at: Mapped[datetime | None]
    #: when the notes and answered questions went to the invitees
    notes_sent_at: Mapped[datetime | None]
    #: the local lead moved or cancelled this one session by hand (a series change keeps it)
    changed_by_hand: Mapped[bool] = mapped_column(default=False)

    rollout = relationship("Rollout")

    @property
    def cancelled(self) -> bool:
        return self.status is CallStatus.CANCELLED

    @property
    def uid(self) -> str:
        """The UID this session had as an event of its own, before invitations carried the
        series as one recurring event (``app.calls.calendar.series_uid``): only used to
        cancel those events where calendars still hold them."""
        return f"call-{self.rollout_id}-{self.id}@summit"


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
    answered_at: Mapped[datetime | None]

    enrollment = relationship("Enrollment")


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
    #: the time in the meeting the uploaded report gave; under the region's
    #: ``[calls] min_attendance_minutes`` the learner is recorded as not present
    seconds: Mapped[int | None]
    #: "web" or "upload"
    source: Mapped[str] = mapped_column(String(16), default="web")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class CallInvitation(RegionScoped, Base):
    """Someone who holds the rollout's call series in their calendar (learner or host).

    The list updates and cancellations go to; a learner who leaves gets a
    cancellation and ``left_at``.
    """

    __tablename__ = "call_invitation"
    __table_args__ = (UniqueConstraint("rollout_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rollout_id: Mapped[int] = mapped_column(
        ForeignKey("rollout.id", ondelete="CASCADE"), index=True
    )
    #: normalised like Person.email
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    #: set for learners; hosts are staff users
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE")
    )
    #: "learner" or "host"
    role: Mapped[str] = mapped_column(String(16), default="learner")
    #: IANA zone the emails show times in (the person's, else the region's)
    time_zone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: when the series invitation was queued for them (None: a job will send it)
    notified_at: Mapped[datetime | None]
    #: since when they hold the series as ONE recurring event (UID ``call-series-<rollout>``);
    #: None while ``notified_at`` is set: they hold the one-event-per-session invitations
    #: sent before the series, which the next message to them cancels once
    series_sent_at: Mapped[datetime | None]
    #: no longer attends (left the program, or no longer host): gets nothing more
    left_at: Mapped[datetime | None]
