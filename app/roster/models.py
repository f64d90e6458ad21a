"""A roster upload (its preview, issues and confirmation) and the column mappings a lead
confirmed for a region's files."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, RegionScoped, str_enum, utcnow
from app.rollouts.models import Rollout


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
    #: the reason as a code of ``app.roster.texts.ROSTER_REASONS`` (``"dup_id|4"``)
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
    #: SHA-256 of the file's normalised headers, sorted (see ``app.roster.mappings.header_key``)
    header_key: Mapped[str] = mapped_column(String(64))
    #: field → header of the file ("" leaves a field out)
    mapping: Mapped[dict] = mapped_column(JSON)
    #: who is in, as on the import (``{"column": header, "values": [...]}``)
    row_filter: Mapped[dict | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
