"""Rollout: a program adopted by a region (the workspace), and its enrollments."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, RegionScoped, str_enum, utcnow


class RolloutStatus(enum.StrEnum):
    DRAFT = "draft"
    LAUNCHED = "launched"
    CLOSED = "closed"


class Rollout(RegionScoped, Base):
    __tablename__ = "rollout"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("program.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[RolloutStatus] = mapped_column(
        str_enum(RolloutStatus, 16), default=RolloutStatus.DRAFT
    )
    cohort_start: Mapped[date]
    #: the weekly expert call; defaults from the region file
    call_weekday: Mapped[int]
    call_time: Mapped[time] = mapped_column(Time)
    call_duration_minutes: Mapped[int] = mapped_column(default=45)
    #: fixed join URL of the weekly call (when no Teams meeting is created)
    call_join_url: Mapped[str] = mapped_column(String(500), default="")
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    hr_partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    #: the sponsor's words on why the program matters, quoted to managers
    sponsor_message: Mapped[str] = mapped_column(Text, default="")
    launched_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: set when the retention period ran out and the rollout's personal data was erased
    personal_data_erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    program = relationship("Program", lazy="joined")
    region = relationship("Region", lazy="joined")
    expert = relationship("StaffUser", foreign_keys=[expert_id])
    hr_partner = relationship("StaffUser", foreign_keys=[hr_partner_id])
    sponsors: Mapped[list[RolloutSponsor]] = relationship(
        back_populates="rollout", cascade="all, delete-orphan", order_by="RolloutSponsor.id"
    )


class RolloutSponsor(RegionScoped, Base):
    """A senior sponsor who receives the weekly report for a rollout."""

    __tablename__ = "rollout_sponsor"
    __table_args__ = (UniqueConstraint("rollout_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rollout_id: Mapped[int] = mapped_column(
        ForeignKey("rollout.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    subscribed: Mapped[bool] = mapped_column(default=True)

    rollout: Mapped[Rollout] = relationship(back_populates="sponsors")


class EnrollmentState(enum.StrEnum):
    INVITED = "invited"
    COMMITTED = "committed"
    TIME_APPROVED = "time_approved"
    ACTIVE = "active"
    COMPLETED = "completed"
    #: a confirmed free rider, removed after a term
    REMOVED = "removed"
    #: left with a reason the lead accepted (leave, illness, role change)
    WITHDRAWN = "withdrawn"


#: the order of the funnel; removed and withdrawn leave it
FUNNEL = (
    EnrollmentState.INVITED,
    EnrollmentState.COMMITTED,
    EnrollmentState.TIME_APPROVED,
    EnrollmentState.ACTIVE,
    EnrollmentState.COMPLETED,
)

_ALLOWED = {
    EnrollmentState.INVITED: {EnrollmentState.COMMITTED, EnrollmentState.WITHDRAWN},
    EnrollmentState.COMMITTED: {
        EnrollmentState.TIME_APPROVED,
        EnrollmentState.WITHDRAWN,
        EnrollmentState.REMOVED,
    },
    EnrollmentState.TIME_APPROVED: {
        EnrollmentState.ACTIVE,
        EnrollmentState.COMMITTED,  # a manager changes their decision before term 1
        EnrollmentState.COMPLETED,
        EnrollmentState.WITHDRAWN,
        EnrollmentState.REMOVED,
    },
    EnrollmentState.ACTIVE: {
        EnrollmentState.COMPLETED,
        EnrollmentState.WITHDRAWN,
        EnrollmentState.REMOVED,
    },
    EnrollmentState.COMPLETED: set(),
    EnrollmentState.REMOVED: set(),
    EnrollmentState.WITHDRAWN: set(),
}


class InvalidTransition(ValueError):
    pass


class Enrollment(RegionScoped, Base):
    __tablename__ = "enrollment"
    __table_args__ = (
        UniqueConstraint("rollout_id", "person_id"),
        Index("ix_enrollment_rollout_state", "rollout_id", "state"),
        # NULL for every learner until pairing: an import of 300,000 learners skips it
        Index(
            "ix_enrollment_buddy_group",
            "buddy_group",
            postgresql_where=text("buddy_group IS NOT NULL"),
            sqlite_where=text("buddy_group IS NOT NULL"),
        ),
        CheckConstraint(
            "goal_reached IS NULL OR goal_reached IN ('reached', 'partly', 'not')",
            name="goal_reached",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: copied from the rollout, whose own region key guards it: no foreign key here, so an
    #: import of 300,000 learners checks two keys per row, not three
    region_id: Mapped[int] = mapped_column(index=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollout.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    state: Mapped[EnrollmentState] = mapped_column(
        str_enum(EnrollmentState, 16), default=EnrollmentState.INVITED
    )
    invited_at: Mapped[datetime | None]
    committed_at: Mapped[datetime | None]
    #: the learner's own words: what they want to reach (their manager and buddy read it;
    #: the goal survey shows it back at the end)
    goal: Mapped[str | None] = mapped_column(Text)
    #: learners sharing a buddy group are each other's buddies (a pair, or a trio)
    buddy_group: Mapped[int | None]
    #: the lead took the learner out of pairing (with a reason in the audit trail): pairing
    #: leaves them alone until the lead moves them into a group
    pairing_paused: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: the buddy the learner asked for (employee id or email), paired first; the commit page
    #: stores the employee id of the learner picked by name
    requested_buddy: Mapped[str | None] = mapped_column(String(320))
    #: the buddy the roster named (employee id or email); paired before anyone else
    roster_buddy: Mapped[str | None] = mapped_column(String(320))
    #: the weekly study slot the learner chose: weekday (0 = Monday), local time and zone;
    #: NULL until they choose (the region's default applies)
    study_weekday: Mapped[int | None]
    study_time: Mapped[time | None] = mapped_column(Time)
    study_time_zone: Mapped[str | None] = mapped_column(String(64))
    #: the learner said "I can't take part" (withdrawn, their reason in ``left_reason``)
    declined_at: Mapped[datetime | None]
    #: reminders sent to commit (the invitation itself not counted)
    commit_reminders_sent: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[datetime | None]
    time_approved_at: Mapped[datetime | None]
    activated_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    #: why the learner left (withdrawn: the excuse; removed: the term)
    left_reason: Mapped[str | None] = mapped_column(Text)
    #: the last roster import did not list this person (flagged, never deleted)
    missing_from_roster: Mapped[bool] = mapped_column(default=False)
    leaderboard_opt_in: Mapped[bool] = mapped_column(default=False)
    #: the goal survey's answer: reached / partly / not (GoalAnswer); NULL = not answered
    goal_reached: Mapped[str | None] = mapped_column(String(8))
    goal_comment: Mapped[str | None] = mapped_column(Text)
    goal_answered_at: Mapped[datetime | None]
    #: the goal survey link went out (at completion or at program end; once)
    goal_survey_sent_at: Mapped[datetime | None]

    rollout: Mapped[Rollout] = relationship(lazy="joined")
    person = relationship("Person", lazy="joined")

    def transition(self, target: EnrollmentState, *, at: datetime | None = None) -> None:
        """Move to ``target`` if the state machine allows it; stamp the time."""
        current = self.state or EnrollmentState.INVITED  # the column default applies at insert
        if target == current:
            return
        if target not in _ALLOWED[current]:
            raise InvalidTransition(f"enrollment {self.id}: {current} → {target} is not allowed")
        at = at or utcnow()
        self.state = target
        stamp = {
            EnrollmentState.COMMITTED: "committed_at",
            EnrollmentState.TIME_APPROVED: "time_approved_at",
            EnrollmentState.ACTIVE: "activated_at",
            EnrollmentState.COMPLETED: "completed_at",
            EnrollmentState.REMOVED: "left_at",
            EnrollmentState.WITHDRAWN: "left_at",
        }.get(target)
        if stamp:
            setattr(self, stamp, at)

    @property
    def in_program(self) -> bool:
        return self.state not in (EnrollmentState.REMOVED, EnrollmentState.WITHDRAWN)
