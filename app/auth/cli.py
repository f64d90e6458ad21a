"""``summit entra ...``: the role mapping and the directory import from the command line."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.auth.directory import import_directory, start_directory_import
from app.auth.models import DirectoryImport
from app.auth.roles import role_mapping
from app.extensions import db
from app.microsoft.graph import GraphClient

entra = click.Group("entra", help="Microsoft Entra ID: role mapping and directory import.")


@entra.command("roles")
@with_appcontext
def roles_command() -> None:
    """Print which app roles / group ids grant which Summit role, and ignored entries."""

    mapping = role_mapping(settings=current_app.extensions["summit.settings"])
    for rule in mapping.rules:
        click.echo(f"{rule.claim:40} {rule.role.label:14} {rule.region_name}")
    for problem in mapping.problems:
        click.echo(f"ignored: {problem}", err=True)


@entra.command("import-directory")
@click.option("--now", is_flag=True, help="Run in this process instead of queueing a job.")
@with_appcontext
def import_directory_command(now: bool) -> None:
    """Import people, managers and regions from the directory (Microsoft Graph)."""

    settings = current_app.extensions["summit.settings"]
    if not settings.entra_app_credentials:
        raise click.ClickException(
            "Entra ID is not configured: set ENTRA_TENANT_ID, ENTRA_CLIENT_ID and "
            "ENTRA_CLIENT_SECRET (or ENTRA_CLIENT_CERTIFICATE_PATH)."
        )
    if not now:
        run = start_directory_import(settings=settings, requested_by=None)
        db.session.commit()
        click.echo(f"directory import {run.id} queued (see /auth/entra/directory)")
        return

    run = DirectoryImport(region_attribute=settings.entra_directory_region_attribute)
    db.session.add(run)
    db.session.commit()
    client = GraphClient(settings)
    try:
        import_directory(
            run=run,
            settings=settings,
            client=client,
            on_page=lambda: (db.session.commit(), click.echo(f"{run.seen} users read")),
        )
        db.session.commit()
    finally:
        client.close()
    click.echo(
        f"done: {run.created} new, {run.updated} updated, {run.managers_changed} managers "
        f"changed; skipped {run.skipped_no_key} without id, {run.skipped_no_region} without "
        f"region, {run.conflicts} email conflicts"
    )


COMMANDS = [entra]
