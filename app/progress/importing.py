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

import csv
import io
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from app.calendar import parse_instant
from app.db import utcnow
from app.extensions import db
from app.progress.effects import apply_progress_effects
from app.progress.formats import (
    MOODLE_PROFILES,
    FormatError,
    MoodleProfile,
    ReadContext,
    detect_format,
    observed_at_from_filename,
    records,
)
from app.progress.mapping import UnitResolver
from app.progress.models import ProgressImport
from app.progress.screening import refused_encoding, screen_bytes, screen_header
from app.progress.staging import Staging, copy_summit_csv
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.tabular import open_text, sniff_delimiter

log = logging.getLogger(__name__)

BATCH = 5000
PROGRESS_EVERY = 20000


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
    #: how the file was read: "copy" (COPY and SQL, a Summit CSV on PostgreSQL) or "rows"
    #: (row by row in Python), for the log and the tests
    read_by: str = "rows"


def text_stream(raw: IO[bytes]) -> io.TextIOWrapper:
    """An export as text, decoded strictly by :mod:`app.tabular`'s rule."""
    return open_text(raw)  # type: ignore[arg-type]


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
        parse_instant(options.get("observed_at")) or observed_at_from_filename(filename) or now
    )
    ctx = ReadContext(
        zone=zone,
        observed_at=observed_default,
        moodle_profiles=_moodle_profiles(region),
        mapping=options.get("mapping") or {},
    )
    screen_bytes(raw.read(65536))
    raw.seek(0)
    stream = text_stream(raw)
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
    except UnicodeDecodeError as exc:
        raise refused_encoding(exc, stream.encoding) from exc
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
    delimiter = sniff_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter))
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
    counted = _CountingRows(csv.reader(stream, delimiter=delimiter))
    reporter = _ProgressReporter(progress_import, raw, counted)
    staging = Staging.create(default_observed=observed_default, region_id=rollout.region_id)
    started = time.perf_counter()
    try:
        fast = None
        if detected == "summit" and staging.postgres and stream.encoding == "utf-8-sig":
            fast = copy_summit_csv(
                staging,
                raw=raw,
                header=header,
                delimiter=delimiter,
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
            result.read_by = "copy"
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
        "progress import into %s: %s rows (read by %s), %s applied, %s unknown learners, "
        "%s unmapped units",
        rollout.slug,
        result.rows_read,
        result.read_by,
        result.applied,
        result.unknown_learners,
        len(result.unmapped_units),
    )
    return result


def _source(fmt: str) -> str:
    return "openedx" if fmt.startswith("openedx") else fmt


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
