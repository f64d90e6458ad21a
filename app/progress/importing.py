"""Progress file imports: stream the file, stage it set-based, merge once.

The file is read row by row (bounded memory); each record's unit is resolved to
a module in Python (a few distinct names per file), then the rows go into a
temporary staging table: ``COPY`` on PostgreSQL, batched inserts on SQLite.
One ``INSERT … SELECT … ON CONFLICT DO UPDATE`` merges them: a row moves only when its
state changes (a completion, at the time the platform says it happened, or a newer
observation of another percentage), so importing the same file again changes nothing and
an older observation never overwrites a newer one. Unknown learners and unmapped
units are counted and sampled for the report, never fatal.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from charset_normalizer import from_bytes
from flask import current_app
from sqlalchemy import select, update

from app.db import utcnow
from app.extensions import db
from app.progress.effects import apply_progress_effects
from app.progress.formats import (
    FORMATS,
    MOODLE_PROFILES,
    FormatError,
    MoodleProfile,
    ReadContext,
    detect_format,
    observed_at_from_filename,
    records,
    sniff_dialect,
)
from app.progress.kept_files import drop_old_files
from app.progress.mapping import UnitResolver
from app.progress.models import ImportStatus, ProgressImport
from app.progress.screening import screen_bytes, screen_header
from app.progress.staging import Staging, copy_summit_csv
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.tasks import enqueue_after_commit

log = logging.getLogger(__name__)

BATCH = 5000
PROGRESS_EVERY = 20000
IMPORT_JOB = "jobs.progress.run_import"


@dataclass
class ImportResult:
    format: str = ""
    rows_read: int = 0
    records: int = 0
    applied: int = 0
    unknown_learners: int = 0
    unknown_sample: list[str] = field(default_factory=list)
    unmapped_units: dict[str, int] = field(default_factory=dict)
    activated: int = 0
    completed: int = 0
    #: seconds per phase (read+stage, merge, report, effects), for the log and the bench
    seconds: dict[str, float] = field(default_factory=dict)
    #: when the platform produced the file's data (its own time, else the upload's)
    as_of: datetime | None = None


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


def _text_stream(raw: IO[bytes]) -> io.TextIOWrapper:
    """Decode as UTF-8 (BOM or not), else as the charset the first 64 KiB suggest."""
    sample = raw.read(65536)
    raw.seek(0)
    encoding = "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        best = from_bytes(sample).best()
        encoding = best.encoding if best is not None else "cp1252"
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")


def import_stream(
    *,
    region: Region,
    rollout: Rollout,
    raw: IO[bytes],
    fmt: str = "auto",
    filename: str = "",
    options: dict[str, Any] | None = None,
    progress_import: ProgressImport | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Merge one export's progress into ``rollout``: insert or move forward module progress,
    activate learners on their first progress, complete those who finished every module
    (sending ``enrollment_completed``). Flushes; the caller commits.
    """
    options = options or {}
    now = now or utcnow()
    zone = ZoneInfo(region.time_zone)
    observed_default = (
        _parse_option_time(options.get("observed_at")) or observed_at_from_filename(filename) or now
    )
    ctx = ReadContext(
        zone=zone,
        observed_at=observed_default,
        moodle_profiles=_moodle_profiles(region),
        mapping=options.get("mapping") or {},
    )
    screen_bytes(raw.read(65536))
    raw.seek(0)
    stream = _text_stream(raw)
    try:
        return _import_text(
            region=region,
            rollout=rollout,
            raw=raw,
            stream=stream,
            fmt=fmt,
            ctx=ctx,
            observed_default=observed_default,
            progress_import=progress_import,
            now=now,
        )
    finally:
        stream.detach()  # the caller owns (and closes) the binary file


def _import_text(
    *,
    region: Region,
    rollout: Rollout,
    raw: IO[bytes],
    stream: io.TextIOWrapper,
    fmt: str,
    ctx: ReadContext,
    observed_default: datetime,
    progress_import: ProgressImport | None,
    now: datetime,
) -> ImportResult:
    first = stream.readline()
    if not first.strip():
        raise FormatError("the file is empty", code="empty")
    dialect = sniff_dialect(first)
    header = next(csv.reader([first], dialect))
    header = [h.strip() for h in header]
    try:
        detected = detect_format(header, ctx) if fmt == "auto" else fmt
    except FormatError:
        screen_header(header, [])  # a roster says so rather than "unknown header"
        raise
    result = ImportResult(format=detected, as_of=observed_default)
    resolver = UnitResolver.for_program(rollout.program_id)
    resolver.match_title_start = detected == "openedx"
    ctx.known_unit = resolver.knows
    counted = _CountingRows(csv.reader(stream, dialect))
    reporter = _ProgressReporter(progress_import, raw, counted)
    staging = Staging.create(default_observed=observed_default)
    started = time.perf_counter()
    try:
        fast = None
        if detected == "summit" and staging.postgres and stream.encoding == "utf-8-sig":
            fast = copy_summit_csv(
                staging,
                raw=raw,
                header=header,
                delimiter=dialect.delimiter,
                zone=region.time_zone,
                resolver=resolver,
                on_bytes=reporter.report_bytes,
            )
            if fast is None:  # back to the row-by-row reader, just after the header
                stream.seek(0)
                stream.readline()
        batch: list[tuple[Any, ...]] = []
        for rec in records(detected, header, iter(counted), ctx) if fast is None else ():
            result.records += 1
            module_id = resolver.module_for(rec.unit) if rec.unit else None
            if module_id is None:
                if rec.unit:
                    resolver.note_unmapped(rec.unit)
                continue
            batch.append(
                (
                    rec.learner,
                    "e" if rec.learner_kind == "email" else "i",
                    module_id,
                    float(rec.percent),
                    bool(rec.completed),
                    _db_time(rec.observed_at or observed_default),
                )
            )
            if len(batch) >= BATCH:
                staging.add(batch)
                batch = []
                reporter.maybe_report()
        staging.add(batch)
        result.seconds["read_and_stage"] = time.perf_counter() - started
        result.rows_read = counted.count
        if fast is not None:
            result.rows_read, result.records = fast
        result.unmapped_units = {k: v for k, v in resolver.unmapped.items() if v}
        mark = time.perf_counter()
        result.applied = staging.merge(rollout=rollout, source=_source(detected))
        result.seconds["merge"] = time.perf_counter() - mark
        mark = time.perf_counter()
        result.unknown_learners, result.unknown_sample = staging.unknown_learners(rollout=rollout)
        result.seconds["report"] = time.perf_counter() - mark
    finally:
        staging.drop()
    mark = time.perf_counter()
    effects = apply_progress_effects(region=region, rollout=rollout, now=now, channel="import")
    result.seconds["effects"] = time.perf_counter() - mark
    result.activated, result.completed = effects
    log.info(
        "progress import into %s: %s rows, %s applied, %s unknown learners, %s unmapped units",
        rollout.slug,
        result.rows_read,
        result.applied,
        result.unknown_learners,
        len(result.unmapped_units),
    )
    return result


def _source(fmt: str) -> str:
    return "openedx" if fmt.startswith("openedx") else fmt


def _parse_option_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _moodle_profiles(region: Region) -> tuple[MoodleProfile, ...]:
    """The region's own Moodle profile (``[progress.moodle]`` in its file) first, then ours."""
    custom = ((region.settings or {}).get("progress") or {}).get("moodle")
    if isinstance(custom, dict) and custom.get("email"):
        return (MoodleProfile.from_settings(custom), *MOODLE_PROFILES)
    return MOODLE_PROFILES


@lru_cache(maxsize=65536)
def _db_time(value: datetime) -> str:
    """Naive UTC text, as :class:`app.db.UTCDateTime` stores it on both databases."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class _CountingRows:
    def __init__(self, reader: Iterator[list[str]]) -> None:
        self.reader = reader
        self.count = 0

    def __iter__(self) -> Iterator[list[str]]:
        for row in self.reader:
            if not any(cell.strip() for cell in row):
                continue
            self.count += 1
            yield row


def _unlocked(import_id: int) -> Any:
    """The import row, unless another transaction holds it (then no row: never wait)."""
    table = ProgressImport.__table__
    return table.c.id.in_(
        select(table.c.id).where(table.c.id == import_id).with_for_update(skip_locked=True)
    )


class _ProgressReporter:
    """Publishes bytes read to the import row through its own connection (PostgreSQL),
    so the upload page's progress bar moves while the import's transaction is open.
    It never waits for the row: if the import's own transaction holds it (the status
    was not committed first), the report is skipped (SKIP LOCKED)."""

    def __init__(self, record: ProgressImport | None, raw: IO[bytes], rows: _CountingRows) -> None:
        self.record = record
        self.raw = raw
        self.rows = rows
        self.last = 0
        self.enabled = record is not None and db.engine.dialect.name == "postgresql"

    def report_bytes(self, position: int) -> None:
        """The fast path's progress: bytes sent to COPY (reported every 16 MiB)."""
        if not self.enabled or position - self.last < (16 << 20):
            return
        self.last = position
        assert self.record is not None
        with db.engine.begin() as conn:
            conn.execute(
                update(ProgressImport.__table__)
                .where(_unlocked(self.record.id))
                .values(bytes_read=position, status="running")
            )

    def maybe_report(self) -> None:
        if not self.enabled or self.rows.count - self.last < PROGRESS_EVERY:
            return
        self.last = self.rows.count
        assert self.record is not None
        with db.engine.begin() as conn:
            conn.execute(
                update(ProgressImport.__table__)
                .where(_unlocked(self.record.id))
                .values(bytes_read=self.raw.tell(), rows_read=self.rows.count, status="running")
            )
