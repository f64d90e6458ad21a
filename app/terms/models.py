"""TermReview: one learner's standing at the end of one term."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, RegionScoped, str_enum


class Verdict(enum.StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    FREE_RIDER_CANDIDATE = "free_rider_candidate"
    EXCUSED = "excused"
    CONFIRMED_FREE_RIDER = "confirmed_free_rider"


class BuddyAnswer(enum.StrEnum):
    """What a buddy says about their partner's term; the last two reach the local lead."""

    CONFIRMED = "confirmed"
    NOT_YET = "not_yet"
    CANT_JUDGE = "cant_judge"


class ExcuseReason(enum.StrEnum):
    LEAVE = "leave"
    ILLNESS = "illness"
    ROLE_CHANGE = "role_change"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


#: verdicts term close may still change; a reviewed verdict is never overwritten
OPEN_VERDICTS = (Verdict.ON_TRACK, Verdict.AT_RISK, Verdict.FREE_RIDER_CANDIDATE)


class TermReview(RegionScoped, Base):
    __tablename__ = "term_review"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "term_id"),
        Index("ix_term_review_term_verdict", "term_id", "verdict"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: copied from the enrollment, whose rollout's region key guards it: no foreign key
    #: here, so closing a term of 300,000 learners checks two keys per row, not three
    region_id: Mapped[int] = mapped_column(index=True)
    #: no foreign keys on the enrollment and the term: the close writes every review from a
    #: SELECT that joins both, so a key per row re-checked what the statement had proved
    #: (half of a close's CPU at 1,000,000 learners). A trigger on each parent deletes its
    #: reviews when it is deleted, whatever the path (migration f26b0c7e1d58)
    enrollment_id: Mapped[int] = mapped_column()
    term_id: Mapped[int] = mapped_column()
    modules_expected: Mapped[int] = mapped_column(default=0)
    modules_done: Mapped[int] = mapped_column(default=0)
    verdict: Mapped[Verdict] = mapped_column(str_enum(Verdict, 24), default=Verdict.ON_TRACK)
    #: the buddy enrollment that confirmed this learner's term (only a buddy's counts)
    buddy_confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollment.id", ondelete="SET NULL")
    )
    buddy_confirmed_at: Mapped[datetime | None]
    #: the buddy's answer: confirmed / not_yet / cant_judge (BuddyAnswer); NULL = not answered
    buddy_answer: Mapped[str | None] = mapped_column(String(16))
    #: the buddy's optional note to the local lead
    buddy_note: Mapped[str | None] = mapped_column(Text)
    buddy_answered_at: Mapped[datetime | None]
    at_risk_nudged_at: Mapped[datetime | None]
    #: leave, illness, role_change, other
    excuse_reason: Mapped[str | None] = mapped_column(String(24))
    #: the reviewer's note: the excuse's, or why a free rider was confirmed
    excuse_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    reviewed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: when the buddies were asked to confirm this learner's term
    buddy_requested_at: Mapped[datetime | None]
    #: why the learner was nudged: "behind_pace", "missed_calls"
    at_risk_reason: Mapped[str | None] = mapped_column(String(24))
    #: when term close last set or changed the verdict (the audit of that close picks it up)
    verdict_changed_at: Mapped[datetime | None]
    #: a confirmed free rider: the enrollment state they were removed from (what a
    #: withdrawal of the confirmation restores)
    removed_from_state: Mapped[str | None] = mapped_column(String(16))
    #: a confirmed free rider: the confirmation may be withdrawn until then, and the
    #: emails it queued (``held_email_ids``) wait in the outbox until then
    undo_until: Mapped[datetime | None]
    held_email_ids: Mapped[list[int] | None] = mapped_column(JSON, default=None)


class TermClose(RegionScoped, Base):
    """A term closed for one rollout: when, and the counts it found."""

    __tablename__ = "term_close"
    __table_args__ = (UniqueConstraint("rollout_id", "term_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollout.id", ondelete="CASCADE"))
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id", ondelete="CASCADE"))
    first_closed_at: Mapped[datetime]
    last_closed_at: Mapped[datetime]
    on_track: Mapped[int] = mapped_column(default=0)
    candidates: Mapped[int] = mapped_column(default=0)
    #: when the sponsors were sent the term's outcome (after every candidate was reviewed)
    sponsors_told_at: Mapped[datetime | None]
