"""Progress imports as the lead and the jobs see them: an upload stored and queued, run
by a job (once: a lock and a status), finished with its counts and report."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import IO, Any

from flask import current_app

from app.db import utcnow
from app.extensions import db
from app.progress.formats import (
    FORMATS,
    FormatError,
)
from app.progress.importing import ImportResult, import_stream
from app.progress.kept_files import drop_old_files
from app.progress.models import ImportStatus, ProgressImport
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.tasks import enqueue_after_commit

log = logging.getLogger(__name__)

IMPORT_JOB = "jobs.progress.run_import"


def imports_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def create_import(
    *,
    region: Region,
    rollout: Rollout,
    filename: str,
    stream: IO[bytes],
    requested_format: str = "auto",
    created_by_id: int | None = None,
    options: dict[str, Any] | None = None,
    queue: bool = True,
) -> ProgressImport:
    """Store an uploaded file and (unless ``queue`` is False) queue its import job (after
    commit). Flushes."""
    if requested_format not in FORMATS:
        raise FormatError(f"unknown format {requested_format!r}")
    path = imports_dir() / f"{uuid.uuid4().hex}.csv"
    size = 0
    with path.open("wb") as out:
        while chunk := stream.read(1 << 20):
            out.write(chunk)
            size += len(chunk)
    record = ProgressImport(
        region_id=region.id,
        rollout_id=rollout.id,
        filename=Path(filename or "upload.csv").name[:255],
        stored_path=str(path),
        requested_format=requested_format,
        bytes_total=size,
        created_by_id=created_by_id,
        report={"options": options or {}},
    )
    db.session.add(record)
    db.session.flush()
    if queue:
        queue_import(record)
    return record


def queue_import(record: ProgressImport) -> None:
    """Queue ``record``'s import job (after commit). Flushes."""
    record.status = ImportStatus.QUEUED
    db.session.flush()
    enqueue_after_commit(
        IMPORT_JOB,
        record.id,
        queue="imports",
        job_id=f"progress-import-{record.id}",
        job_timeout=3600,
    )
    log.info("progress import %s queued for rollout %s", record.id, record.rollout_id)


def mark_running(*, import_id: int) -> bool:
    """Mark a queued import running (the job commits this before the long import, so the
    progress reporter's own connection never waits on the job's lock of the row).
    False when there is nothing to run (gone, done or failed). Flushes."""
    record = db.session.get(ProgressImport, import_id)
    if record is None or record.status in (ImportStatus.DONE, ImportStatus.FAILED):
        return False
    if record.status is not ImportStatus.RUNNING or record.started_at is None:
        record.status = ImportStatus.RUNNING
        record.started_at = utcnow()
    db.session.flush()
    return True


def mark_failed(*, import_id: int, reason: str) -> None:
    """End an import ``failed`` with ``reason`` (its file stays for a retry). Flushes."""
    record = db.session.get(ProgressImport, import_id)
    if record is None or record.status is ImportStatus.DONE:
        return
    record.status = ImportStatus.FAILED
    record.error = reason[:2000]
    record.finished_at = utcnow()
    db.session.flush()
    log.warning("progress import %s failed: %s", import_id, reason)


def run_import(*, import_id: int) -> ProgressImport:
    """Run a queued import: merge its file's progress, record the outcome; the file is kept
    for a re-apply (the rollout's last few), or deleted when it is in no known format.

    A file in no known format marks the import failed (with the reason) rather than raising.
    """
    record = db.session.get(ProgressImport, import_id)
    if record is None:
        raise LookupError(f"progress import {import_id} not found")
    if record.status is ImportStatus.DONE:
        return record
    rollout = db.session.get(Rollout, record.rollout_id)
    region = db.session.get(Region, record.region_id)
    if record.status is not ImportStatus.RUNNING or record.started_at is None:
        record.status = ImportStatus.RUNNING
        record.started_at = utcnow()
    path = Path(record.stored_path)
    options = dict((record.report or {}).get("options") or {})
    try:
        with path.open("rb") as raw:
            result = import_stream(
                region=region,
                rollout=rollout,
                raw=raw,
                fmt=record.requested_format,
                filename=record.filename,
                options=options,
                progress_import=record,
            )
    except FormatError as exc:
        record.status = ImportStatus.FAILED
        record.error = exc.stored
        record.finished_at = utcnow()
        db.session.flush()
        path.unlink(missing_ok=True)  # nothing to retry: the file itself is wrong
        log.warning("progress import %s failed: %s", record.id, exc)
        return record
    finish(record, result)
    # the file stays for re-applying it once its unmatched units are mapped (the last few
    # imports of the rollout keep theirs)
    drop_old_files(rollout_id=record.rollout_id)
    return record


def finish(record: ProgressImport, result: ImportResult) -> None:
    record.status = ImportStatus.DONE
    record.detected_format = result.format
    record.rows_read = result.rows_read
    record.rows_applied = result.applied
    record.bytes_read = record.bytes_total
    record.unknown_learners = result.unknown_learners
    record.unmapped_units = len(result.unmapped_units)
    record.report = {
        **(record.report or {}),
        "unknown_learners": result.unknown_sample,
        "unmapped_units": dict(sorted(result.unmapped_units.items())[:50]),
        "records": result.records,
        "activated": result.activated,
        "completed": result.completed,
    }
    record.finished_at = utcnow()
    record.data_as_of = result.as_of or record.finished_at
    db.session.flush()
