"""Roster imports as the lead sees them: upload → preview (a job) → confirm (a job).

The upload is kept in ``instance/uploads`` between preview and confirm, then
deleted. Confirm re-reads the same bytes (checked by SHA-256) and refuses to apply
when its counts differ from the preview's: the preview is what confirm applies.
Progress goes to Redis so the page can poll it (and survive a refresh).
"""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
from pathlib import Path
from typing import Any

from app.db import utcnow
from app.extensions import db
from app.language import _
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.roster.engine import RosterOutcome, StaleRoster, run_roster
from app.roster.errors import UnreadableRoster
from app.roster.importing import import_roster_file
from app.roster.issues import (
    issue_recorder,
)
from app.roster.mappings import inspect_file, remember_mapping, saved_mapping_for
from app.roster.models import ImportStatus, RosterImport
from app.roster.progress_bar import set_progress
from app.settings import INSTANCE_DIR
from app.tasks import enqueue_after_commit

log = logging.getLogger(__name__)
UPLOAD_DIR = INSTANCE_DIR / "uploads"
UPLOAD_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")


def create_roster_import(
    *, region: Region, rollout: Rollout, filename: str, stream: io.BufferedIOBase | Any, actor: Any
) -> RosterImport:
    """Store an uploaded roster and queue its preview job. Flushes; sends nothing."""
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    # the extension is kept: tools that read a workbook check it
    suffix = Path(filename or "").suffix.lower()
    suffix = suffix if suffix in UPLOAD_SUFFIXES else ""
    target = UPLOAD_DIR / f"roster-{secrets.token_hex(12)}{suffix}"
    digest = hashlib.sha256()
    with target.open("wb") as out:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
            out.write(chunk)
    roster_import = RosterImport(
        region_id=region.id,
        rollout_id=rollout.id,
        filename=Path(filename or "roster").name[:255],
        stored_path=str(target),
        sha256=digest.hexdigest(),
        status=ImportStatus.QUEUED,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(roster_import)
    db.session.flush()
    enqueue_after_commit(
        "jobs.roster.preview_roster",
        roster_import.id,
        queue="imports",
        job_id=f"roster-preview-{roster_import.id}",
        job_timeout=3600,
    )
    return roster_import


def preview_roster_import(*, region: Region, roster_import: RosterImport) -> RosterImport:
    """Read and check the stored file; record counts and issues. Writes no person."""
    roster_import.status = ImportStatus.PREVIEWING
    _run(region=region, roster_import=roster_import, apply=False)
    return roster_import


class MappingRefused(ValueError):
    """The columns the lead chose cannot be used; the message says why."""


def remap_roster_import(
    *,
    region: Region,
    roster_import: RosterImport,
    mapping: dict[str, str],
    sheet: str | None = None,
    row_filter: dict[str, Any] | None = None,
) -> None:
    """The lead named the columns (and who is in): remember it for files with these
    headers, and preview again with it. Flushes; the preview job does the work."""
    info = roster_import.headers or {}
    if roster_import.status not in (ImportStatus.PREVIEWED, ImportStatus.REFUSED) or not (
        roster_import.stored_path and Path(roster_import.stored_path).is_file()
    ):
        raise MappingRefused(_("This import cannot be previewed again: upload the file again."))
    sheets = info.get("sheets") or []
    if sheet and sheet not in sheets:
        raise MappingRefused(_("The workbook has no visible sheet “%(sheet)s”.", sheet=sheet))
    columns = set(info.get("columns") or [])
    changed_sheet = bool(sheet) and sheet != info.get("sheet")
    if not changed_sheet:
        unknown = [h for h in mapping.values() if h and h not in columns]
        if row_filter and row_filter.get("column") not in columns:
            unknown.append(row_filter.get("column") or "")
        if unknown:
            raise MappingRefused(_("The file has no column “%(column)s”.", column=unknown[0]))
        remember_mapping(
            region_id=region.id,
            columns=list(info.get("columns") or []),
            mapping=mapping,
            row_filter=row_filter,
        )
    roster_import.sheet = sheet or roster_import.sheet
    roster_import.mapping = None if changed_sheet else mapping
    roster_import.row_filter = None if changed_sheet else row_filter
    roster_import.status = ImportStatus.QUEUED
    roster_import.preview_counts = None
    roster_import.message = ""
    db.session.flush()
    enqueue_after_commit(
        "jobs.roster.preview_roster",
        roster_import.id,
        queue="imports",
        job_id=f"roster-preview-{roster_import.id}-{secrets.token_hex(4)}",
        job_timeout=3600,
    )


def confirm_roster_import(
    *, region: Region, roster_import: RosterImport, actor: Any = None
) -> None:
    """Queue the apply job for a previewed import. Flushes; the job does the work."""
    if roster_import.status is not ImportStatus.PREVIEWED:
        raise ValueError("only a previewed import can be confirmed")
    info = roster_import.headers or {}
    if info.get("columns"):
        # confirmed: next week's file with these headers imports without questions
        remember_mapping(
            region_id=region.id,
            columns=info["columns"],
            mapping=roster_import.mapping or info.get("used") or {},
            row_filter=roster_import.row_filter,
        )
    roster_import.status = ImportStatus.APPLYING
    roster_import.confirmed_by_id = getattr(actor, "id", None)
    db.session.flush()
    enqueue_after_commit(
        "jobs.roster.apply_roster",
        roster_import.id,
        getattr(actor, "id", None),
        queue="imports",
        job_id=f"roster-apply-{roster_import.id}",
        job_timeout=3600,
    )


def apply_roster_import(
    *, region: Region, roster_import: RosterImport, actor: Any = None, channel: str = "web"
) -> RosterOutcome | None:
    """Apply the previewed file: people, managers, enrollments, missing flags.

    Sends ``manager_changed`` for each manager change; invites new learners when the
    rollout is already launched. Refuses (status STALE, nothing written) when the
    counts differ from the preview's.
    """
    return _run(
        region=region, roster_import=roster_import, apply=True, actor=actor, channel=channel
    )


def _run(
    *,
    region: Region,
    roster_import: RosterImport,
    apply: bool,
    actor: Any = None,
    channel: str = "web",
) -> RosterOutcome | None:
    path = Path(roster_import.stored_path or "")
    if not path.is_file() or _sha256(path) != roster_import.sha256:
        roster_import.status = ImportStatus.FAILED
        roster_import.message = "The uploaded file is no longer available; upload it again."
        roster_import.finished_at = utcnow()
        return None
    import_id = roster_import.id
    savepoint = db.session.begin_nested()
    info: dict[str, Any] = {}
    try:
        if not apply:
            info = inspect_file(path, sheet=roster_import.sheet)
            if roster_import.mapping is None and roster_import.row_filter is None:
                remembered = saved_mapping_for(region_id=region.id, columns=info["columns"])
                if remembered is not None:
                    roster_import.mapping = remembered.mapping
                    roster_import.row_filter = remembered.row_filter
                    info["remembered"] = True
        if apply:
            outcome = import_roster_file(
                path,
                region=region,
                rollout=roster_import.rollout,
                actor=actor,
                channel=channel,
                expect=roster_import.preview_counts,
                on_progress=lambda phase, f: set_progress(import_id, phase, f),
                mapping=roster_import.mapping,
                sheet=roster_import.sheet,
                row_filter=roster_import.row_filter,
            )
        else:
            outcome = run_roster(
                path,
                region_id=region.id,
                rollout_id=roster_import.rollout_id,
                apply=False,
                on_progress=lambda phase, f: set_progress(import_id, phase, f),
                on_staged=issue_recorder(roster_import),
                mapping=roster_import.mapping,
                sheet=roster_import.sheet,
                row_filter=roster_import.row_filter,
            )
            info.update(used=outcome.headers, kept=outcome.kept, excluded=outcome.excluded)
            roster_import.headers = info
    except UnreadableRoster as exc:
        savepoint.rollback()
        roster_import.status = ImportStatus.REFUSED
        roster_import.message = str(exc)
        roster_import.finished_at = utcnow()
        if apply or not info.get("columns"):
            _discard(roster_import, path)
        else:
            # kept until applied, so that the lead can name the columns and preview again
            roster_import.headers = info
        # said in the lead's language on the page (roster_texts); never an earlier one
        kept = {k: v for k, v in (roster_import.headers or {}).items() if k != "refusal"}
        if exc.code:
            kept["refusal"] = {"code": exc.code, "params": exc.params}
        roster_import.headers = kept or None
        set_progress(import_id, "refused", 1.0)
        return None
    except StaleRoster:
        savepoint.rollback()
        roster_import.status = ImportStatus.STALE
        roster_import.message = (
            "The people known to Summit changed since this preview, so confirming would apply "
            "something else than you saw. Upload the file again for a fresh preview."
        )
        roster_import.finished_at = utcnow()
        _discard(roster_import, path)
        set_progress(import_id, "stale", 1.0)
        return None
    except Exception as exc:
        # whatever went wrong, the import must not stay "previewing" or "applying"
        log.exception("roster import %s failed", import_id)
        savepoint.rollback()
        mark_failed(roster_import, exc)
        return None
    savepoint.commit()
    roster_import.finished_at = utcnow()
    if not apply:
        roster_import.preview_counts = outcome.counts
        roster_import.status = ImportStatus.PREVIEWED
        return outcome
    roster_import.applied_counts = outcome.counts
    roster_import.status = ImportStatus.APPLIED
    _discard(roster_import, path)
    return outcome


def mark_failed(roster_import: RosterImport, exc: BaseException) -> None:
    """The import's job raised: say so on the page, with the reason. Flushes."""
    roster_import.status = ImportStatus.FAILED
    detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    roster_import.message = (
        f"The import stopped on an error and nothing was applied ({type(exc).__name__}"
        f"{': ' + detail if detail else ''}). Upload the file again; if it fails again, "
        "send this message to your Summit administrator."
    )
    roster_import.finished_at = utcnow()
    db.session.flush()
    set_progress(roster_import.id, "failed", 1.0)


def _discard(roster_import: RosterImport, path: Path) -> None:
    """The upload is kept only until applied or refused (minimisation); so are the
    sample values shown to map its columns."""
    roster_import.stored_path = None
    if roster_import.headers:
        roster_import.headers = {**roster_import.headers, "samples": {}}
    path.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
