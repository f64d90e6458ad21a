"""TimeAllocation: a manager's decision on the study time of one report; ApprovalDigest:
each email sent to a manager about their reports, one per kind and day at most."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, RegionScoped, str_enum, utcnow


class AllocationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    #: the manager proposed other hours per week; the lead follows up
    PROPOSED = "proposed"


class DigestKind(enum.StrEnum):
    #: the request listing the manager's reports (the first, or a daily follow-up)
    REQUEST = "request"
    REMINDER = "reminder"
    #: a lead pressed "resend" on the dashboard
    RESEND = "resend"
    #: a manager on leave handed the request to this colleague
    DELEGATION = "delegation"


class TimeAllocation(RegionScoped, Base):
    __tablename__ = "time_allocation"
    __table_args__ = (
        Index("ix_time_allocation_manager_status", "manager_id", "status"),
        Index("ix_time_allocation_status_digest", "status", "digest_id"),
        # the request run's keyset pages of deciders (the delegate, else the manager) of a
        # region's pending reports: a page walks its slice of this index instead of every
        # allocation of the region (40 pages at a million learners). PostgreSQL only, as
        # the migration makes it: a SQLite database is small
        Index(
            "ix_time_allocation_pending_decider",
            "region_id",
            text("coalesce(delegate_id, manager_id)"),
            postgresql_where=text("status = 'pending'"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollment.id", ondelete="CASCADE"), unique=True
    )
    #: the manager asked to decide (moves with a manager change in the roster); NULL when
    #: the learner has none (the top of the roster): the rollout's local lead decides
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    #: a colleague the manager handed the request to, while on leave
    delegate_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    #: who handed it over (the manager, or an earlier delegate), and when
    delegated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    delegated_at: Mapped[datetime | None]
    status: Mapped[AllocationStatus] = mapped_column(
        str_enum(AllocationStatus, 16), default=AllocationStatus.PENDING
    )
    hours_requested: Mapped[float]
    #: approved hours, or the hours the manager proposed instead
    hours_decided: Mapped[float | None]
    reason: Mapped[str | None] = mapped_column(Text)
    #: when the learner committed (the allocation was created)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the request email that first listed this report; NULL until the next digest run
    digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("approval_digest.id", ondelete="SET NULL"), index=True
    )
    #: when that email was queued: reminders count business days from here
    request_sent_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    #: the manager or delegate who decided through the link (NULL when a lead recorded it)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    #: "link" (the email's signed link) or "web" (a lead recorded it)
    decided_via: Mapped[str | None] = mapped_column(String(16))
    #: how many decisions were taken: the calendar invitation's SEQUENCE and the email's key
    decision_count: Mapped[int] = mapped_column(default=0, server_default="0")
    reminders_sent: Mapped[int] = mapped_column(default=0)
    last_reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]

    enrollment = relationship("Enrollment", lazy="joined")
    manager = relationship("Person", foreign_keys=[manager_id])
    delegate = relationship("Person", foreign_keys=[delegate_id])
    delegated_by = relationship("Person", foreign_keys=[delegated_by_id])
    decided_by = relationship("Person", foreign_keys=[decided_by_id])

    @property
    def decider_id(self) -> int:
        """Who is asked to decide now: the delegate while there is one, else the manager."""
        return self.delegate_id or self.manager_id

    @property
    def is_pending(self) -> bool:
        return self.status is AllocationStatus.PENDING


class ApprovalDigest(RegionScoped, Base):
    """One email to a manager (or delegate) about their reports in one rollout.

    The unique key (recipient, rollout, day, kind) is the final guard against
    sending the same email twice, whatever Redis or a retried job does.
    """

    __tablename__ = "approval_digest"
    __table_args__ = (
        UniqueConstraint(
            "manager_id", "rollout_id", "day", "kind", name="uq_approval_digest_once_a_day"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rollout_id: Mapped[int] = mapped_column(
        ForeignKey("rollout.id", ondelete="CASCADE"), index=True
    )
    #: the recipient: the manager, or the colleague they delegated to
    manager_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    #: the region-local date the email went out
    day: Mapped[date]
    kind: Mapped[DigestKind] = mapped_column(str_enum(DigestKind, 16))
    #: a request after the first one for this manager and rollout (new reports since)
    follow_up: Mapped[bool] = mapped_column(default=False)
    #: how many reports the email listed
    report_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    manager = relationship("Person")
