"""Progress connector jobs: the hourly per-region slot queues one sync per enabled connector."""

from __future__ import annotations

from app.connectors.models import Connector
from app.connectors.services import claim_sync, due_connectors, request_sync
from app.connectors.services import sync_connector as sync
from app.extensions import db
from jobs.runtime import job_context, job_logger

log = job_logger(__name__)


def sync_region(region_id: int, slot_iso: str) -> int:
    """Queue a sync of each enabled connector of the region (job ids carry the slot)."""

    with job_context():
        connectors = due_connectors(region_id=region_id)
        for connector in connectors:
            request_sync(connector=connector, trigger="schedule", slot=slot_iso)
        log.info("region %s: %s connector syncs queued", region_id, len(connectors))
        return len(connectors)


def sync_connector(connector_id: int, trigger: str = "schedule") -> None:
    """Run one connector's sync (queue ``imports``).

    A platform that fails (refused credentials, still throttling, 5xx) is recorded on the
    run and told to the local leads, and the job ends normally: the next hourly slot is the
    retry, so RQ's own retries would only repeat the failure. Anything else propagates.
    """

    with job_context():
        connector = db.session.get(Connector, connector_id)
        if connector is None or not connector.enabled:
            log.info("connector %s: gone or disabled, nothing to sync", connector_id)
            return
        if not claim_sync(connector):
            log.info("connector %s: another sync is running, this one is skipped", connector_id)
            return
        run = sync(connector=connector, trigger=trigger)
        log.info("connector %s: sync %s (%s)", connector_id, run.id, run.status.value)
