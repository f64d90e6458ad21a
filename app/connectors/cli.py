"""``summit connectors sync --rollout SLUG`` and ``summit connectors status``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.connectors.models import Connector, RunStatus
from app.connectors.services import claim_sync, connector_of, sync_connector
from app.extensions import db
from app.rollouts.models import Rollout


@click.group("connectors")
def connectors_group() -> None:
    """Scheduled progress pulls from an LRS, Open edX or Moodle."""


@connectors_group.command("sync")
@click.option("--rollout", "slug", required=True, help="The rollout's slug.")
@with_appcontext
def sync_command(slug: str) -> None:
    """Sync the rollout's connector now, in this process (as the scheduled job does)."""

    try:
        rollout = db.session.scalars(select(Rollout).where(Rollout.slug == slug)).one_or_none()
        if rollout is None:
            raise click.UsageError(f"no rollout {slug!r}")
        connector = connector_of(rollout)
        if connector is None:
            raise click.UsageError(f"rollout {slug!r} has no connector: set it up on its page")
        if not claim_sync(connector):
            raise click.ClickException("another sync of this connector is running")
        run = sync_connector(connector=connector, trigger="manual")
        click.echo(
            f"{run.status.value}: {run.fetched} read, {run.applied} changed, "
            f"{run.completed} completed, {run.unknown_learners} unknown learners, "
            f"{run.unmapped_units} unmapped units"
        )
        if run.status is RunStatus.FAILED:
            click.echo(run.error or "", err=True)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if run.status is RunStatus.FAILED:
        raise SystemExit(1)


@connectors_group.command("status")
@with_appcontext
def status_command() -> None:
    """Each connector: rollout, platform, last sync, last success, last error."""

    rows = db.session.execute(
        select(Connector, Rollout.slug)
        .join(Rollout, Rollout.id == Connector.rollout_id)
        .order_by(Rollout.slug)
    ).all()
    for connector, slug in rows:
        state = "enabled" if connector.enabled else "disabled"
        click.echo(
            f"{slug}: {connector.kind.value} {connector.base_url} ({state}); "
            f"last sync {connector.last_run_at or 'never'}, "
            f"last success {connector.last_success_at or 'never'}"
            + (f"; failing: {connector.last_error}" if connector.last_error else "")
        )


COMMANDS = [connectors_group]
