"""Configure a rollout's connector, run its syncs, and tell the local leads when one fails.

A sync reads its platform page by page and feeds the rows through the progress import's own
set-based path (:class:`app.progress.staging.Staging`: stage, merge in one statement,
then :func:`app.progress.effects.apply_progress_effects` once), inside a savepoint: a sync
that fails half-way changes no progress and leaves the cursor where it was.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, text

from app.audit.services import record
from app.connectors.http import ConnectorError
from app.connectors.models import Connector, ConnectorKind, ConnectorRun, RunStatus
from app.connectors.observation import Observation, Source
from app.connectors.secrets import SecretsUnavailable, decrypt, encrypt
from app.db import utcnow
from app.extensions import db
from app.progress.effects import apply_progress_effects
from app.progress.mapping import UnitResolver
from app.progress.staging import SAMPLE, Staging
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.settings import Settings

log = logging.getLogger(__name__)

SYNC_JOB = "jobs.connectors.sync_connector"
#: rows staged and merged at a time (bounded memory, few statements)
CHUNK = 5000
#: runs kept per connector for the page
KEEP_RUNS = 50

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


def settings() -> Settings:
    return current_app.extensions["summit.settings"]


# --- configuration ------------------------------------------------------------------------


def save_connector(
    *,
    region: Region,
    rollout: Rollout,
    kind: ConnectorKind,
    base_url: str,
    course_ref: str,
    learner_field: str,
    client_id: str,
    secret: str | None,
    enabled: bool,
    actor: Any = None,
) -> Connector:
    """Create or change the rollout's connector; a new ``secret`` is encrypted (None keeps the
    stored one). Changing the platform or course starts the next sync from the beginning.
    Raises SecretsUnavailable without a key in production. Flushes; audits."""
    connector = connector_of(rollout)
    if connector is None:
        connector = Connector(region_id=region.id, rollout_id=rollout.id, cursor={})
        db.session.add(connector)
    moved = (connector.kind, connector.base_url, connector.course_ref, connector.learner_field) != (
        kind,
        base_url,
        course_ref,
        learner_field,
    )
    if secret:
        connector.secret_encrypted = encrypt(settings(), secret)
    connector.kind = kind
    connector.base_url = base_url
    connector.course_ref = course_ref
    connector.learner_field = learner_field
    connector.client_id = client_id
    connector.enabled = enabled
    connector.updated_at = utcnow()
    connector.updated_by_id = getattr(actor, "id", None)
    if moved:
        connector.cursor = {}
    db.session.flush()
    record(
        region_id=region.id,
        action="connector.saved",
        obj=connector,
        actor=actor,
        channel="web",
        data={
            "rollout": rollout.slug,
            "kind": kind.value,
            "base_url": base_url,
            "enabled": enabled,
            "secret_changed": bool(secret),
        },
    )
    log.info("connector %s of rollout %s saved by %s", connector.id, rollout.slug, actor)
    return connector


def connector_of(rollout: Rollout) -> Connector | None:
    return db.session.scalars(
        select(Connector).where(Connector.rollout_id == rollout.id)
    ).one_or_none()


def request_sync(*, connector: Connector, trigger: str = "manual", slot: str = "") -> None:
    """Queue a sync of ``connector`` after the commit (one job per connector and slot)."""
    from app.tasks import enqueue_after_commit

    stamp = slot or utcnow().strftime("%Y%m%dT%H%M%S")
    enqueue_after_commit(
        SYNC_JOB,
        connector.id,
        trigger,
        queue="imports",
        # the characters RQ allows in a job id
        job_id=re.sub(r"[^A-Za-z0-9_-]", "_", f"connector-sync-{connector.id}-{trigger}-{stamp}"),
        job_timeout=3600,
    )


def due_connectors(*, region_id: int) -> list[Connector]:
    return list(
        db.session.scalars(
            select(Connector)
            .where(Connector.region_id == region_id, Connector.enabled.is_(True))
            .order_by(Connector.id)
        )
    )


# --- syncing ------------------------------------------------------------------------------


def build_source(connector: Connector, *, now: datetime) -> Source:
    """The platform reader for ``connector``, with its secret decrypted."""
    try:
        secret = (
            decrypt(settings(), connector.secret_encrypted) if connector.secret_encrypted else ""
        )
    except SecretsUnavailable as exc:
        raise ConnectorError(str(exc)) from exc
    cursor = dict(connector.cursor or {})
    if connector.kind is ConnectorKind.LRS:
        from app.connectors.lrs import LrsSource

        return LrsSource(
            endpoint=connector.base_url,
            username=connector.client_id,
            password=secret,
            cursor=cursor,
            now=now,
        )
    if connector.kind is ConnectorKind.OPENEDX:
        from app.connectors.openedx import OpenEdxSource

        return OpenEdxSource(
            base_url=connector.base_url,
            course_id=connector.course_ref,
            client_id=connector.client_id,
            client_secret=secret,
            learner_field=connector.learner_field,
            now=now,
        )
    from app.connectors.moodle import MoodleSource

    return MoodleSource(
        base_url=connector.base_url,
        course_id=connector.course_ref,
        token=secret,
        learner_field=connector.learner_field,
        cursor=cursor,
        now=now,
    )


def sync_connector(
    *, connector: Connector, trigger: str = "schedule", now: datetime | None = None
) -> ConnectorRun:
    """Pull the platform's progress since the connector's cursor and apply it; record the run.

    On success: progress rows inserted or moved forward, learners activated or completed
    (``enrollment_completed`` sent), the cursor advanced, a failure streak ended. On a
    ConnectorError: nothing applied, the run recorded as failed, and the local leads emailed
    once per streak of failures. Flushes.
    """
    now = now or utcnow()
    region = db.session.get(Region, connector.region_id)
    rollout = db.session.get(Rollout, connector.rollout_id)
    assert region is not None and rollout is not None
    savepoint = db.session.begin_nested()
    try:
        source = build_source(connector, now=now)
        try:
            outcome = _pull_and_apply(source, region=region, rollout=rollout, now=now)
        finally:
            source.close()
    except ConnectorError as exc:
        savepoint.rollback()
        return _record_failure(
            connector, region=region, rollout=rollout, trigger=trigger, error=str(exc), now=now
        )
    savepoint.commit()
    run = ConnectorRun(
        region_id=connector.region_id,
        connector_id=connector.id,
        trigger=trigger,
        status=RunStatus.OK,
        started_at=now,
        finished_at=utcnow(),
        **outcome,
    )
    db.session.add(run)
    connector.cursor = source.next_cursor()
    connector.last_run_at = now
    connector.last_success_at = now
    connector.last_error = None
    connector.failing_since = None
    connector.failure_notified_at = None
    _prune_runs(connector)
    db.session.flush()
    log.info(
        "connector %s (%s, rollout %s): %s read, %s applied, %s unknown learners, %s unmapped",
        connector.id,
        connector.kind.value,
        rollout.slug,
        run.fetched,
        run.applied,
        run.unknown_learners,
        run.unmapped_units,
    )
    return run


def _pull_and_apply(
    source: Source, *, region: Region, rollout: Rollout, now: datetime
) -> dict[str, Any]:
    resolver = UnitResolver.for_program(rollout.program_id)
    staging = Staging.create(default_observed=now)
    applied = unknown = 0
    unknown_sample: list[str] = []
    buffer: dict[tuple[str, str, int], tuple[float, bool, datetime]] = {}

    def flush() -> None:
        nonlocal applied, unknown
        if not buffer:
            return
        staging.add(
            [
                (learner, kind, module_id, percent, completed, _db_time(observed))
                for (learner, kind, module_id), (percent, completed, observed) in buffer.items()
            ]
        )
        count, sample = staging.unknown_learners(rollout=rollout)
        unknown += count
        unknown_sample.extend(s for s in sample if s not in unknown_sample)
        _drop_unchanged(staging, rollout=rollout)
        applied += staging.merge(rollout=rollout, source=_source_name(source))
        db.session.connection().exec_driver_sql(f"DELETE FROM {staging.name}")  # noqa: S608
        buffer.clear()

    try:
        for page in source.pages():
            for obs in page:
                module_id = _module_for(resolver, obs)
                if module_id is None:
                    continue
                _keep(buffer, obs, module_id)
            if len(buffer) >= CHUNK:
                flush()
        flush()
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


def _prune_runs(connector: Connector) -> None:
    keep = (
        select(ConnectorRun.id)
        .where(ConnectorRun.connector_id == connector.id)
        .order_by(ConnectorRun.id.desc())
        .limit(KEEP_RUNS)
        .scalar_subquery()
    )
    db.session.execute(
        delete(ConnectorRun)
        .where(ConnectorRun.connector_id == connector.id, ConnectorRun.id.not_in(keep))
        .execution_options(synchronize_session=False)
    )


# --- failures -----------------------------------------------------------------------------


def _record_failure(
    connector: Connector,
    *,
    region: Region,
    rollout: Rollout,
    trigger: str,
    error: str,
    now: datetime,
) -> ConnectorRun:
    run = ConnectorRun(
        region_id=connector.region_id,
        connector_id=connector.id,
        trigger=trigger,
        status=RunStatus.FAILED,
        started_at=now,
        finished_at=utcnow(),
        error=error[:2000],
    )
    db.session.add(run)
    connector.last_run_at = now
    connector.last_error = error[:2000]
    if connector.failing_since is None:
        connector.failing_since = now
    if connector.failure_notified_at is None:
        _tell_leads(connector, region=region, rollout=rollout, error=error)
        connector.failure_notified_at = now
    _prune_runs(connector)
    db.session.flush()
    log.warning("connector %s of rollout %s failed: %s", connector.id, rollout.slug, error)
    return run


def _tell_leads(connector: Connector, *, region: Region, rollout: Rollout, error: str) -> None:
    """One email to each local lead per streak of failures (the key names the streak)."""
    from app.mail.services import queue_email
    from app.rollouts.services import local_leads

    leads = local_leads(region)
    streak = connector.failing_since or utcnow()
    for lead in leads:
        queue_email(
            kind="connectors/failed",
            to_address=lead.email,
            to_name=lead.name,
            idempotency_key=(
                f"connectors/failed:{connector.id}:{streak.astimezone(UTC).isoformat()}:{lead.id}"
            ),
            context={
                "lead_name": lead.name,
                "program_title": rollout.program.title,
                "region_name": region.name,
                "platform": connector.base_url,
                "error": error,
                "connector_url": connector_page_url(region=region, rollout=rollout),
            },
            locale=region.locale,
            region_id=region.id,
        )
    if not leads:
        log.warning(
            "no local lead in %s to tell that connector %s fails", region.code, connector.id
        )


def connector_page_url(*, region: Region, rollout: Rollout) -> str:
    return f"{settings().base_url}/r/{region.code}/rollouts/{rollout.slug}/progress/connector"
