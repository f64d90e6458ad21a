"""What the LRS keeps besides statements: documents (State, Activity Profile, Agent Profile),
the merged definition of each activity, and statement attachments. Each row belongs to one
rollout (the credential's) and is never read under another's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, RegionScoped, utcnow


class XapiDocument(RegionScoped, Base):
    """A State, Activity Profile or Agent Profile document (Communication §2.2–2.7)."""

    __tablename__ = "xapi_document"
    __table_args__ = (
        UniqueConstraint("rollout_id", "document_key"),
        # the ids of one activity's / agent's / state scope, since a time
        Index("ix_xapi_document_rollout_scope", "rollout_id", "scope_key", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollout.id", ondelete="CASCADE"))
    #: "state", "activity_profile" or "agent_profile"
    kind: Mapped[str] = mapped_column(String(20))
    #: sha256 of kind, activity, agent and registration: the documents listed together
    scope_key: Mapped[str] = mapped_column(String(64))
    #: sha256 of the scope and the stateId / profileId: one document
    document_key: Mapped[str] = mapped_column(String(64))
    activity_iri: Mapped[str | None] = mapped_column(String(2000))
    #: sha256 of the agent's inverse functional identifier (as statements' actor_key)
    agent_key: Mapped[str | None] = mapped_column(String(64))
    registration: Mapped[str | None] = mapped_column(String(36))
    #: the stateId or profileId the client chose
    document_id: Mapped[str] = mapped_column(String(2000))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(255))
    #: SHA-1 hex of the content, sent quoted as the ETag
    etag: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class XapiActivity(RegionScoped, Base):
    """The activity definitions a rollout's statements gave for one activity id, merged (the
    Activities resource, Communication §2.5)."""

    __tablename__ = "xapi_activity"
    __table_args__ = (UniqueConstraint("rollout_id", "iri_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollout.id", ondelete="CASCADE"))
    #: sha256 of the activity id (ids are IRIs up to 2000 characters: too long to index)
    iri_key: Mapped[str] = mapped_column(String(64))
    iri: Mapped[str] = mapped_column(String(2000))
    definition: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class XapiAttachment(RegionScoped, Base):
    """An attachment's content, sent as a multipart part; statements name it by sha2."""

    __tablename__ = "xapi_attachment"
    __table_args__ = (UniqueConstraint("rollout_id", "sha2"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollout.id", ondelete="CASCADE"))
    #: SHA-2 hex of the content, as the statement's attachment names it
    sha2: Mapped[str] = mapped_column(String(128))
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class XapiRelated(RegionScoped, Base):
    """An agent or activity a statement names besides its actor and object activity (which
    its own columns hold): authority, context, group members, an Agent object, its
    Sub-Statement. ``related_agents`` / ``related_activities`` match these or the columns
    (Communication §2.1.3). Written with the statement, one multi-row insert per batch."""

    __tablename__ = "xapi_related"
    __table_args__ = (Index("ix_xapi_related_lookup", "rollout_id", "kind", "key", "statement_pk"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_pk: Mapped[int] = mapped_column(
        ForeignKey("xapi_statement.id", ondelete="CASCADE"), index=True
    )
    rollout_id: Mapped[int] = mapped_column(ForeignKey("rollout.id", ondelete="CASCADE"))
    #: "agent" or "activity"
    kind: Mapped[str] = mapped_column(String(8))
    #: the agent's IFI key, or sha256 of the activity id
    key: Mapped[str] = mapped_column(String(64))
