"""ModuleProgress: what the course platform says a learner did, per module; and how it arrives
(file imports, xAPI statements)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, RegionScoped, str_enum, utcnow


class ModuleProgress(RegionScoped, Base):
    __tablename__ = "module_progress"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "module_id"),
        # "progress as of" (app.progress.queries.progress_freshness): a rollout's newest row
        Index("ix_module_progress_rollout_observed", "rollout_id", "observed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: copied from the enrollment, whose own region key guards it: no foreign key here, so a
    #: bulk import checks two keys per row, not three (a million rows a week)
    region_id: Mapped[int] = mapped_column(index=True)
    #: copied from the enrollment like the region (an enrollment never changes rollout), no
    #: foreign key either: the newest row of a rollout is one probe of its index
    rollout_id: Mapped[int]
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollment.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    #: 0–100
    percent: Mapped[float] = mapped_column(default=0.0)
    completed: Mapped[bool] = mapped_column(default=False)
    #: when the platform observed this state; an older observation never overwrites a newer one
    observed_at: Mapped[datetime]
    #: "openedx", "moodle", "linkedin", "generic", "summit", "xapi"
    source: Mapped[str] = mapped_column(String(24))


class ImportStatus(enum.StrEnum):
    #: a file in no format Summit knows: waits for the lead to say which column is which
    NEEDS_MAPPING = "needs_mapping"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ProgressImport(RegionScoped, Base):
    """One progress file handed to Summit: its job's progress and what it reported."""

    __tablename__ = "progress_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    rollout_id: Mapped[int] = mapped_column(
        ForeignKey("rollout.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    #: where the uploaded file waits for the job (deleted when the job ends)
    stored_path: Mapped[str] = mapped_column(String(500), default="")
    #: the format asked for ("auto" to detect it from the header)
    requested_format: Mapped[str] = mapped_column(String(24), default="auto")
    #: the format found in the header
    detected_format: Mapped[str | None] = mapped_column(String(24))
    status: Mapped[ImportStatus] = mapped_column(
        str_enum(ImportStatus, 16), default=ImportStatus.QUEUED
    )
    bytes_total: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_read: Mapped[int] = mapped_column(default=0)
    #: progress rows inserted or moved forward (older or equal observations change nothing)
    rows_applied: Mapped[int] = mapped_column(default=0)
    unknown_learners: Mapped[int] = mapped_column(default=0)
    unmapped_units: Mapped[int] = mapped_column(default=0)
    #: samples of unknown learners and unmapped units, format options, for the report page
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    #: when the platform produced the data (the export's time, or the upload's when the file
    #: does not say): how old the rollout's progress is, on the decision pages
    data_as_of: Mapped[datetime | None]

    rollout = relationship("Rollout")

    @property
    def fraction(self) -> float:
        if self.status is ImportStatus.DONE:
            return 1.0
        return min(1.0, self.bytes_read / self.bytes_total) if self.bytes_total else 0.0


class UnitMapping(Base):
    """A program's override of the default title match: provider unit → module (or ignored)."""

    __tablename__ = "unit_mapping"
    __table_args__ = (UniqueConstraint("program_id", "unit_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id", ondelete="CASCADE"))
    #: the provider's unit name as written in the export
    unit_name: Mapped[str] = mapped_column(String(300))
    #: the name normalised (case, accents, spaces, "Homework 3:" prefixes) for matching
    unit_key: Mapped[str] = mapped_column(String(300))
    #: NULL: the unit is known and deliberately ignored (an optional quiz, say)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"))


class ColumnMapping(RegionScoped, Base):
    """Which column of a platform's CSV means what, as a region's lead confirmed it for one
    set of headers: the next file with the same headers imports without asking."""

    __tablename__ = "column_mapping"
    __table_args__ = (UniqueConstraint("region_id", "header_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: sha256 of the file's header names, trimmed, in order
    header_key: Mapped[str] = mapped_column(String(64))
    #: the header names, for the page
    headers: Mapped[list] = mapped_column(JSON)
    #: the generic reader's mapping (learner_column, learner_kind, unit_column, …)
    mapping: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )


class XapiCredential(RegionScoped, Base):
    """HTTP Basic credentials a course platform uses to send a rollout's xAPI statements."""

    __tablename__ = "xapi_credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    rollout_id: Mapped[int] = mapped_column(
        ForeignKey("rollout.id", ondelete="CASCADE"), unique=True
    )
    #: the Basic user name (public; identifies the rollout)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    #: sha256 of the (random, 256-bit) secret; the secret itself is shown once and never stored
    secret_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None]

    rollout = relationship("Rollout")


class XapiStatement(RegionScoped, Base):
    """An xAPI statement accepted by the LRS endpoint (kept as sent)."""

    __tablename__ = "xapi_statement"
    __table_args__ = (
        # GET /xapi/statements pages a rollout's statements in stored order (keyset, both ways)
        Index("ix_xapi_statement_rollout_stored", "rollout_id", "stored_at", "id"),
        Index("ix_xapi_statement_rollout_actor", "rollout_id", "actor_key"),
        # statements that target another (voids waiting for their target, filter matches)
        Index("ix_xapi_statement_rollout_ref", "rollout_id", "statement_ref"),
        # the statements that target another, in stored order (a filtered page's window of
        # them): a few in a hundred, so a small index
        Index(
            "ix_xapi_statement_rollout_ref_stored",
            "rollout_id",
            "stored_at",
            "id",
            postgresql_where=text("statement_ref IS NOT NULL"),
            sqlite_where=text("statement_ref IS NOT NULL"),
        ),
        # a statement id is the sender's: unique within the rollout, unseen by any other
        UniqueConstraint("rollout_id", "statement_id"),
        Index("ix_xapi_statement_rollout_registration", "rollout_id", "registration"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the statement's UUID (given by the sender, or assigned on POST)
    statement_id: Mapped[str] = mapped_column(String(36))
    rollout_id: Mapped[int] = mapped_column(
        ForeignKey("rollout.id", ondelete="CASCADE"), index=True
    )
    #: sha256 of the canonical JSON without "stored"/"authority": same id, other content → 409
    content_hash: Mapped[str] = mapped_column(String(64))
    verb: Mapped[str] = mapped_column(String(200))
    enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollment.id", ondelete="SET NULL"), index=True
    )
    module_id: Mapped[int | None] = mapped_column(ForeignKey("module.id", ondelete="SET NULL"))
    #: why the statement changed no progress (unknown learner, unmapped activity, other verb)
    ignored_reason: Mapped[str | None] = mapped_column(String(80))
    payload: Mapped[dict] = mapped_column(JSON)
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: sha256 of the actor's inverse functional identifier (the ``agent`` filter); NULL for an
    #: anonymous group
    actor_key: Mapped[str | None] = mapped_column(String(64))
    #: the object's id when the object is an Activity (the ``activity`` filter)
    activity_iri: Mapped[str | None] = mapped_column(String(2000))
    #: the id of the statement that voided this one; a voided statement is only shown when asked
    #: for by ``voidedStatementId``
    voided_by: Mapped[str | None] = mapped_column(String(36))
    voided_at: Mapped[datetime | None]
    #: the id a StatementRef object names (for a ``voided`` verb, the statement it voids): a
    #: target sent after its void is voided as it arrives, and filters match a statement that
    #: targets a matching one
    statement_ref: Mapped[str | None] = mapped_column(String(36))
    #: context.registration (the ``registration`` filter)
    registration: Mapped[str | None] = mapped_column(String(36))
    #: how a page read builds the statement's exact form from the stored text, known when the
    #: statement was parsed (bits of ``app.xapi.statements.ExactForm``: it gives its own
    #: timestamp, its own version; it must be parsed to be read). NULL for a statement stored
    #: before this column or blanked by an erasure: the read asks the JSON itself.
    exact_form: Mapped[int | None] = mapped_column(SmallInteger)
