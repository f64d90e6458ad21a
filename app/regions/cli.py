"""``summit regions sync``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.extensions import db
from app.regions.services import RegionFileError, sync_regions

regions = click.Group("regions", help="Region files under regions/.")


@regions.command("sync")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Folder of region files (default: SUMMIT_REGIONS_DIR or regions/).",
)
@with_appcontext
def sync_command(directory: str | None) -> None:
    """Validate every region file and upsert them all, or change nothing."""

    path = Path(directory) if directory else current_app.extensions["summit.settings"].regions_dir
    try:
        synced = sync_regions(directory=path)
    except RegionFileError as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        raise click.ClickException(
            "no region was changed; fix the files above and run again"
        ) from exc
    db.session.commit()
    for region in synced:
        click.echo(
            f"{region.code}: {region.name} ({region.time_zone}, {region.reporting_policy.value})"
        )


COMMANDS = [regions]
