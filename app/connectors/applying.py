"""Applying what a connector read: the progress import's own set-based path.

Rows go through :class:`app.progress.staging.Staging`, a chunk at a time (bounded memory);
then, once for the whole sync, staged rows that would change nothing are dropped (so a
second sync of the same data applies nothing), the rest is merged in one statement that
never lets an older observation overwrite a newer one (a learner's rows of a module from
several chunks made one first), and :func:`app.progress.effects.apply_progress_effects` runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from app.connectors.observation import Observation, Source
from app.extensions import db
from app.progress.effects import apply_progress_effects
from app.progress.mapping import UnitResolver
from app.progress.staging import SAMPLE, Staging
from app.regions.models import Region
from app.rollouts.models import Rollout

#: rows kept in memory before they are staged (bounded memory); merged once at the end
CHUNK = 5000

#: a staged row changes nothing when Summit already has the module completed, or has at least
#: this percentage: a connector never lowers progress
_UNCHANGED = """
DELETE FROM {stg} WHERE EXISTS (
    SELECT 1 FROM person p
    JOIN enrollment e ON e.person_id = p.id AND e.rollout_id = :rollout_id
    JOIN module_progress mp ON mp.enrollment_id = e.id AND mp.module_id = {stg}.module_id
    WHERE {match}
      AND (mp.completed OR (NOT {stg}.completed AND {stg}.percent <= mp.percent + 0.005))
)
"""


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
    buffer: dict[tuple[str, str, int], tuple[float, bool, datetime]] = {}
    chunks = 0

    def stage() -> None:
        nonlocal chunks
        if not buffer:
            return
        staging.add(
            [
                (learner, kind, module_id, percent, completed, _db_time(observed))
                for (learner, kind, module_id), (percent, completed, observed) in buffer.items()
            ]
        )
        chunks += 1
        buffer.clear()

    try:
        for page in source.pages():
            for obs in page:
                module_id = _module_for(resolver, obs)
                if module_id is None:
                    continue
                _keep(buffer, obs, module_id)
            if len(buffer) >= CHUNK:
                stage()
        stage()
        if chunks:
            if staging.postgres:
                # statistics of the staged rows: without them the planner loops over the
                # temporary table row by row
                db.session.connection().exec_driver_sql(f"ANALYZE {staging.name}")
            unknown, unknown_sample = staging.unknown_learners(rollout=rollout)
            _drop_unchanged(staging, rollout=rollout)
            # a learner's rows of a module may sit in several chunks: one row of them
            applied = staging.merge(
                rollout=rollout, source=_source_name(source), collapse=chunks > 1
            )
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


def _module_for(resolver: UnitResolver, obs: Observation) -> int | None:
    if obs.iri and obs.iri in resolver.by_iri:
        return resolver.by_iri[obs.iri]
    if not obs.unit:
        return None
    module_id = resolver.module_for(obs.unit)
    if module_id is None:
        resolver.note_unmapped(obs.unit)
    return module_id


def _keep(
    buffer: dict[tuple[str, str, int], tuple[float, bool, datetime]],
    obs: Observation,
    module_id: int,
) -> None:
    """One row per learner and module in a chunk: completion sticks, the highest percentage
    and the newest time win (the merge takes one row per pair)."""
    key = (obs.learner, obs.kind, module_id)
    seen = buffer.get(key)
    if seen is None:
        buffer[key] = (obs.percent, obs.completed, obs.observed_at)
        return
    percent, completed, observed = seen
    buffer[key] = (
        max(percent, obs.percent),
        completed or obs.completed,
        max(observed, obs.observed_at),
    )


def _drop_unchanged(staging: Staging, *, rollout: Rollout) -> None:
    conn = db.session.connection()
    stg = staging.name
    for match in (
        f"{stg}.learner_kind = 'e' AND p.email = {stg}.learner",
        f"{stg}.learner_kind = 'i' AND p.employee_id = {stg}.learner",
    ):
        conn.execute(text(_UNCHANGED.format(stg=stg, match=match)), {"rollout_id": rollout.id})


def _source_name(source: Source) -> str:
    return {"LrsSource": "xapi", "OpenEdxSource": "openedx", "MoodleSource": "moodle"}.get(
        type(source).__name__, "connector"
    )


def _db_time(value: datetime) -> str:
    """Naive UTC text, as the staging table and :class:`app.db.UTCDateTime` store it."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
