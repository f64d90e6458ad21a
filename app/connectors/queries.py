"""What the connector page shows."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from app.connectors.models import Connector, ConnectorRun
from app.extensions import db


def recent_runs(connector: Connector, limit: int = 20) -> Sequence[ConnectorRun]:
    """The connector's last syncs, newest first."""
    return db.session.scalars(
        select(ConnectorRun)
        .where(ConnectorRun.connector_id == connector.id)
        .order_by(ConnectorRun.id.desc())
        .limit(limit)
    ).all()
