"""The outbox: every email is a row written in the same transaction as its cause."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, str_enum, utcnow


class EmailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    #: permanently refused (5xx) or out of retries
    FAILED = "failed"


class OutboundEmail(Base):
    __tablename__ = "outbound_email"
    #: the claim walks it in order: (next_attempt_at, id) among the pending rows
    __table_args__ = (Index("ix_outbound_email_status_next_id", "status", "next_attempt_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: what, for whom, which occasion: the same key twice is one email
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    #: the email kind, i.e. its folder under email_templates/ (e.g. "approvals/request")
    kind: Mapped[str] = mapped_column(String(80), index=True)
    region_id: Mapped[int | None] = mapped_column(
        ForeignKey("region.id", ondelete="SET NULL"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(320))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(500))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    #: extra headers (e.g. List-Unsubscribe), validated when queued
    headers: Mapped[dict | None] = mapped_column(JSON, default=None)
    #: <key-hash@summit> derived from the idempotency key, stable across retries
    message_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[EmailStatus] = mapped_column(
        str_enum(EmailStatus, 16), default=EmailStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: not before this instant (retry backoff, rate limit)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: a worker holds the row until then; past it, the sweep hands it to another
    lease_until: Mapped[datetime | None]
    #: the claim token of the delivery job holding the lease
    lease_owner: Mapped[str | None] = mapped_column(String(40))
    #: the recipient's locale the email was rendered in (e.g. de_DE)
    locale: Mapped[str | None] = mapped_column(String(16))
    sent_at: Mapped[datetime | None]

    attachments: Mapped[list[OutboundAttachment]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="OutboundAttachment.id"
    )


class OutboundAttachment(Base):
    __tablename__ = "outbound_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int] = mapped_column(
        ForeignKey("outbound_email.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    #: a Content-ID makes it an inline part (a chart shown in the HTML body)
    content_id: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
