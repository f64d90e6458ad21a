"""Rollout: a program adopted by a region (the workspace), and its enrollments."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
    true,
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
    #: the learner's own words: what they want to reach (shown back at the end)
    goal: Mapped[str | None] = mapped_column(Text)
    #: learners sharing a buddy group are each other's buddies (a pair, or a trio)
    buddy_group: Mapped[int | None]
    #: the buddy the learner asked for (employee id or email), paired first
    requested_buddy: Mapped[str | None] = mapped_column(String(320))
    #: the buddy the roster named (employee id or email); paired before anyone else
    roster_buddy: Mapped[str | None] = mapped_column(String(320))
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


class ImportStatus(enum.StrEnum):
    QUEUED = "queued"
    PREVIEWING = "previewing"
    PREVIEWED = "previewed"
    APPLYING = "applying"
    APPLIED = "applied"
    #: the file could not be read at all; nothing was applied
    REFUSED = "refused"
    #: the database changed between preview and confirm; preview again
    STALE = "stale"
    FAILED = "failed"


class RosterImport(RegionScoped, Base):
    """One roster upload for a rollout: its preview, then its confirmation.

    Keeps counts and per-row issues (line, column, reason), never the rows themselves.
    """

    __tablename__ = "roster_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    rollout_id: Mapped[int] = mapped_column(
        ForeignKey("rollout.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    #: where the upload waits between preview and confirm (deleted once applied)
    stored_path: Mapped[str | None] = mapped_column(String(500))
    #: SHA-256 of the uploaded bytes: confirm applies exactly the previewed file
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[ImportStatus] = mapped_column(
        str_enum(ImportStatus, 16), default=ImportStatus.QUEUED
    )
    #: the preview's counts (new, changed, unchanged, errors, missing, rows)
    preview_counts: Mapped[dict | None] = mapped_column(JSON)
    #: what confirm applied (equal to the preview, or the import is stale)
    applied_counts: Mapped[dict | None] = mapped_column(JSON)
    #: why the whole file was refused (or the job failed)
    message: Mapped[str] = mapped_column(Text, default="")
    #: the workbook sheet read (an .xlsx with several visible sheets)
    sheet: Mapped[str | None] = mapped_column(String(120))
    #: the columns the lead chose (field → header of the file); guessed when NULL
    mapping: Mapped[dict | None] = mapped_column(JSON)
    #: who is in: ``{"column": header, "values": [...]}`` (a whole-company export)
    row_filter: Mapped[dict | None] = mapped_column(JSON)
    #: what the preview found: the file's headers, a few values of each (until the file
    #: is discarded), Summit's guess, the header used per field, the sheets, the filter's
    #: counts per value
    headers: Mapped[dict | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    #: who confirmed the apply: the audit actor, also when a lost job is run again
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    rollout: Mapped[Rollout] = relationship()
    issues: Mapped[list[RosterImportIssue]] = relationship(
        back_populates="roster_import",
        cascade="all, delete-orphan",
        order_by="RosterImportIssue.line",
        lazy="raise_on_sql",
    )


class RosterImportIssue(RegionScoped, Base):
    """A row the import could not apply: where it is and why (no row data kept)."""

    __tablename__ = "roster_import_issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("roster_import.id", ondelete="CASCADE"), index=True
    )
    #: the physical line in the file where the record starts (1 = header)
    line: Mapped[int]
    #: the file's own header of the column at fault
    column: Mapped[str] = mapped_column(String(80))
    #: in English (the CSV and the CLI); the page shows ``code`` in the lead's language
    reason: Mapped[str] = mapped_column(String(300))
    #: the reason as a code of ``app.rollouts.texts.ROSTER_REASONS`` (``"dup_id|4"``)
    code: Mapped[str | None] = mapped_column(String(60))
    #: False for a note on a row that was imported (e.g. imported without a manager)
    refused: Mapped[bool] = mapped_column(default=True, server_default=true())

    roster_import: Mapped[RosterImport] = relationship(back_populates="issues")


class RosterMapping(RegionScoped, Base):
    """The columns a lead confirmed for a region's roster files with one set of headers:
    next week's file with the same headers imports without questions."""

    __tablename__ = "roster_mapping"
    __table_args__ = (UniqueConstraint("region_id", "header_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the file's normalised headers, sorted (see ``roster_columns.header_key``)
    header_key: Mapped[str] = mapped_column(String(64))
    #: field → header of the file ("" leaves a field out)
    mapping: Mapped[dict] = mapped_column(JSON)
    #: who is in, as on the import (``{"column": header, "values": [...]}``)
    row_filter: Mapped[dict | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
