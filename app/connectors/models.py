"""A rollout's progress connector (where and how to pull progress) and its sync runs."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, RegionScoped, str_enum, utcnow


class ConnectorKind(enum.StrEnum):
    #: an external Learning Record Store (xAPI 1.0.3 GET /statements)
    LRS = "lrs"
    #: Open edX REST APIs (OAuth2 client credentials, the gradebook)
    OPENEDX = "openedx"
    #: Moodle web services (REST, a token)
    MOODLE = "moodle"


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"


class Connector(RegionScoped, Base):
    """Where a rollout's progress is pulled from, with the credentials to do it."""

    __tablename__ = "progress_connector"

    id: Mapped[int] = mapped_column(primary_key=True)
    rollout_id: Mapped[int] = mapped_column(
        ForeignKey("rollout.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[ConnectorKind] = mapped_column(str_enum(ConnectorKind, 16))
    #: the platform's root URL (the LRS endpoint for an LRS, the LMS root for Open edX and Moodle)
    base_url: Mapped[str] = mapped_column(String(500))
    #: the course on the platform: an Open edX course key, a Moodle course id (empty for an LRS)
    course_ref: Mapped[str] = mapped_column(String(300), default="")
    #: which field of the platform names the learner, e.g. "email", "username", "idnumber"
    learner_field: Mapped[str] = mapped_column(String(32), default="email")
    #: the public half of the credentials: Basic user (LRS), OAuth2 client id (Open edX)
    client_id: Mapped[str] = mapped_column(String(300), default="")
    #: the secret half (Basic password, client secret, Moodle token), Fernet-encrypted with
    #: SUMMIT_SECRETS_KEY; never shown again once stored
    secret_encrypted: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    #: where the next sync starts: {"since": …} (LRS), {"accessed_since": …} (Moodle)
    cursor: Mapped[dict] = mapped_column(JSON, default=dict)
    last_run_at: Mapped[datetime | None]
    #: the last sync that ended well: how fresh the progress from this connector is
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    #: the first failure of the current run of failures (NULL while syncs succeed)
    failing_since: Mapped[datetime | None]
    #: when the local leads were told about the current run of failures (once per run)
    failure_notified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )

    rollout = relationship("Rollout")


class ConnectorRun(RegionScoped, Base):
    """One sync of a connector: when, what it read, what it changed, what it could not match."""

    __tablename__ = "progress_connector_run"
    __table_args__ = (Index("ix_progress_connector_run_connector", "connector_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connector_id: Mapped[int] = mapped_column(
        ForeignKey("progress_connector.id", ondelete="CASCADE")
    )
    #: "schedule" or "manual"
    trigger: Mapped[str] = mapped_column(String(16), default="schedule")
    status: Mapped[RunStatus] = mapped_column(str_enum(RunStatus, 16), default=RunStatus.RUNNING)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    #: records read from the platform (statements, gradebook entries × subsections, statuses)
    fetched: Mapped[int] = mapped_column(default=0)
    #: progress rows inserted or moved forward
    applied: Mapped[int] = mapped_column(default=0)
    unknown_learners: Mapped[int] = mapped_column(default=0)
    unmapped_units: Mapped[int] = mapped_column(default=0)
    activated: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    #: samples of unknown learners and unmapped units, HTTP requests and retries
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
