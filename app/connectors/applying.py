"""Applying what a connector read: the progress import's own set-based path.

The platform is read in a thread of its own, a page or two ahead (HTTP and JSON parsing
overlap the staging of the previous rows; constant memory). Rows go through
:class:`app.progress.staging.Staging` a chunk at a time as COPY text; then, once for the
whole sync, they are merged in one statement that makes one row of a learner's rows of a
module (completion sticks, the highest percentage and the newest time win), leaves out
rows that would change nothing (a connector never lowers progress, so a second sync of the
same data applies nothing), and never lets an older observation overwrite a newer one;
:func:`app.progress.effects.apply_progress_effects` runs after it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from app.connectors.observation import Observation, Source
from app.extensions import db
from app.progress.effects import apply_progress_effects
from app.progress.mapping import UnitResolver
from app.progress.staging import SAMPLE, Staging, copy_field
from app.regions.models import Region
from app.rollouts.models import Rollout

#: rows kept in memory before they are staged (bounded memory); merged once at the end
CHUNK = 5000
#: pages read ahead of the rows being staged
AHEAD = 2


def pull_and_apply(
    source: Source, *, region: Region, rollout: Rollout, now: datetime
) -> dict[str, Any]:
    """Read every page of ``source`` and apply it to ``rollout``; the run's figures. Flushes.

    Rows are staged a chunk at a time (bounded memory), then checked and merged once, as
    the file import merges a whole file: per-chunk statements cost a round of planning and
    scans per 5,000 rows, a sync of millions of rows thousands of them."""
    resolver = UnitResolver.for_program(rollout.program_id)
    staging = Staging.create(default_observed=now, region_id=rollout.region_id)
    applied = unknown = 0
    unknown_sample: list[str] = []
    chunks = 0
    #: (unit, iri) → module id (or None): a handful of distinct units a sync
    modules: dict[tuple[str, str | None], int | None] = {}
    #: observed_at → its naive UTC text
    times: dict[datetime, str] = {}
    rows: list[Any] = []
    postgres = staging.postgres

    def stage() -> None:
        nonlocal chunks
        if rows:
            staging.add(rows)
            chunks += 1
            rows.clear()

    try:
        for page in _read_ahead(source.pages()):
            for learner, kind, unit, iri, percent, completed, observed in page:
                key = (unit, iri)
                module_id = modules[key] if key in modules else _module_for(resolver, modules, key)
                if module_id is None:
                    continue
                at = times.get(observed) or times.setdefault(observed, _db_time(observed))
                if postgres:
                    rows.append(
                        f"{copy_field(learner)}\t{kind}\t{module_id}\t{percent}\t"
                        f"{'t' if completed else 'f'}\t{at}\n"
                    )
                else:
                    rows.append((learner, kind, module_id, percent, completed, at))
            if len(rows) >= CHUNK:
                stage()
        stage()
        if chunks:
            if postgres:
                # statistics of the staged rows: without them the planner loops over the
                # temporary table row by row
                db.session.connection().exec_driver_sql(f"ANALYZE {staging.name}")
            # a learner's rows of a module may be several: one row of them; rows that
            # would lower progress or change nothing are left out
            applied = staging.merge(
                rollout=rollout, source=_source_name(source), collapse=True, never_lower=True
            )
            unknown, unknown_sample = staging.unknown_learners(rollout=rollout)
    finally:
        staging.drop()
    activated = completed = 0
    if applied:
        activated, completed = apply_progress_effects(
            region=region, rollout=rollout, now=now, channel="connector"
        )
    unmapped = {k: v for k, v in resolver.unmapped.items() if v}
    client = getattr(source, "client", None)
    return {
        "fetched": source.fetched,
        "applied": applied,
        "unknown_learners": unknown,
        "unmapped_units": len(unmapped),
        "activated": activated,
        "completed": completed,
        "report": {
            "unknown_learners": unknown_sample[:SAMPLE],
            "unmapped_units": dict(sorted(unmapped.items())[:50]),
            "without_key": source.without_key,
            "requests": getattr(client, "requests", 0),
            "retries": getattr(client, "retries", 0),
        },
    }


_END = object()


def _read_ahead(
    pages: Iterator[list[Observation]], ahead: int = AHEAD
) -> Iterator[list[Observation]]:
    """``pages`` read in a thread of its own, at most ``ahead`` pages before the caller.

    The platform's HTTP round trips and JSON parsing run while the caller stages the
    previous rows (a COPY waits on PostgreSQL, not on Python). A source's error is raised
    here, in the caller; a caller that stops early stops the thread (the source's pages
    touch no database: they only read the platform)."""
    handoff: queue.Queue[Any] = queue.Queue(maxsize=ahead)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for page in pages:
                if not put(page):
                    return
            put(_END)
        except BaseException as exc:  # handed to the caller, raised there
            put(exc)
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=read, name="connector-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            item = handoff.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


def _module_for(
    resolver: UnitResolver,
    modules: dict[tuple[str, str | None], int | None],
    key: tuple[str, str | None],
) -> int | None:
    """The module of a unit (or None), remembered in ``modules``; every unplaced row of a
    unit counts in ``resolver.unmapped``."""
    unit, iri = key
    module_id: int | None = None
    if iri and iri in resolver.by_iri:
        module_id = resolver.by_iri[iri]
    elif unit:
        module_id = resolver.module_for(unit)
        if module_id is None:
            resolver.note_unmapped(unit)
            return None  # not remembered: each unplaced row is counted
    modules[key] = module_id
    return module_id


def _source_name(source: Source) -> str:
    return {"LrsSource": "xapi", "OpenEdxSource": "openedx", "MoodleSource": "moodle"}.get(
        type(source).__name__, "connector"
    )


def _db_time(value: datetime) -> str:
    """Naive UTC text, as the staging table and :class:`app.db.UTCDateTime` store it."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
