"""What the connector page shows."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select

from app.connectors.models import Connector, ConnectorRun
from app.extensions import db
from app.progress.queries import Freshness, aware


def recent_runs(connector: Connector, limit: int = 20) -> Sequence[ConnectorRun]:
    """The connector's last syncs, newest first."""
    return db.session.scalars(
        select(ConnectorRun)
        .where(ConnectorRun.connector_id == connector.id)
        .order_by(ConnectorRun.id.desc())
        .limit(limit)
    ).all()


def sync_freshness(rollout_ids: Collection[int]) -> list[tuple[int, Freshness]]:
    """Each connector's last successful sync of these rollouts, as progress data of that
    time (``openedx-sync``, ``moodle-sync``, ``lrs-sync``), oldest first. One statement."""
    return [
        (row.rollout_id, Freshness(aware(row.last_success_at), f"{row.kind}-sync", False))
        for row in db.session.execute(
            select(Connector.rollout_id, Connector.kind, Connector.last_success_at)
            .where(Connector.rollout_id.in_(rollout_ids), Connector.last_success_at.isnot(None))
            .order_by(Connector.last_success_at)
        )
    ]
