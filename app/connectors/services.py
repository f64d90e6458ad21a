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
from app.auth.queries import local_leads
from app.connectors.applying import pull_and_apply
from app.connectors.http import ConnectorError
from app.connectors.lrs import LrsSource
from app.connectors.models import Connector, ConnectorKind, ConnectorRun, RunStatus
from app.connectors.moodle import MoodleSource
from app.connectors.observation import Source
from app.connectors.openedx import OpenEdxSource
from app.connectors.secrets import SecretsUnavailable, decrypt, encrypt
from app.db import utcnow
from app.extensions import db
from app.mail.services import queue_email
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.settings import Settings
from app.tasks import enqueue_after_commit

log = logging.getLogger(__name__)

SYNC_JOB = "jobs.connectors.sync_connector"
#: runs kept per connector for the page
KEEP_RUNS = 50


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
        return LrsSource(
            endpoint=connector.base_url,
            username=connector.client_id,
            password=secret,
            cursor=cursor,
            now=now,
        )
    if connector.kind is ConnectorKind.OPENEDX:
        return OpenEdxSource(
            base_url=connector.base_url,
            course_id=connector.course_ref,
            client_id=connector.client_id,
            client_secret=secret,
            learner_field=connector.learner_field,
            now=now,
        )

    return MoodleSource(
        base_url=connector.base_url,
        course_id=connector.course_ref,
        token=secret,
        learner_field=connector.learner_field,
        cursor=cursor,
        now=now,
    )


#: the first key of PostgreSQL advisory locks held by connector syncs ("SUMC")
LOCK_SPACE = 0x53554D43


def claim_sync(connector: Connector) -> bool:
    """Whether this transaction may sync ``connector``: False while another sync of it runs
    (PostgreSQL advisory lock, released at commit; the web page's saves are not blocked).
    SQLite has one writer at a time anyway."""
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    return bool(
        db.session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:space, :id)"),
            {"space": LOCK_SPACE, "id": connector.id},
        )
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
            outcome = pull_and_apply(source, region=region, rollout=rollout, now=now)
        finally:
            source.close()
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # the platform answered something of an unexpected shape: a failed sync, not a crash
        log.warning("connector %s: unreadable answer", connector.id, exc_info=True)
        savepoint.rollback()
        return _record_failure(
            connector,
            region=region,
            rollout=rollout,
            trigger=trigger,
            error=f"the platform's answer could not be read ({type(exc).__name__}: {exc})",
            now=now,
        )
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

    leads = local_leads(region.id)
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
