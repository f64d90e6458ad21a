"""``summit roster import`` and ``summit rollout launch``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.rollouts.imports import dry_run_roster_file, import_roster_file
from app.rollouts.models import Rollout
from app.rollouts.roster_columns import parse_map, save_mapping, saved_mapping
from app.rollouts.roster_files import UnreadableRoster
from app.rollouts.services import RolloutError, launch_rollout


def _rollout(slug: str) -> Rollout:
    rollout = db.session.scalars(select(Rollout).where(Rollout.slug == slug)).one_or_none()
    if rollout is None:
        raise click.ClickException(f"no rollout {slug!r}")
    return rollout


@click.group("roster")
def roster_group() -> None:
    """Import HR rosters into a rollout."""


@roster_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rollout", "slug", required=True, help="the rollout's slug")
@click.option("--dry-run", is_flag=True, help="check and count; write nothing")
@click.option(
    "--map",
    "pairs",
    multiple=True,
    metavar="FIELD=HEADER",
    help="which column of the file holds a field (e.g. employee_id=objectId); repeatable. "
    "Without it, the mapping saved for this region and these headers, else Summit's guess.",
)
@click.option("--save-map", is_flag=True, help="remember the --map for files with these headers")
@click.option("--sheet", default=None, help="the workbook's sheet (default: the first roster)")
@with_appcontext
def roster_import(
    file: Path, slug: str, dry_run: bool, pairs: tuple[str, ...], save_map: bool, sheet: str | None
) -> None:
    """Import FILE (CSV, TXT or XLSX) into the rollout; print counts and row errors."""

    rollout = _rollout(slug)
    try:
        mapping = parse_map(pairs) if pairs else None
        if mapping is None:
            mapping = saved_mapping(region_id=rollout.region_id, path=file, sheet=sheet)
        if dry_run:
            outcome = dry_run_roster_file(
                file, region=rollout.region, rollout=rollout, mapping=mapping, sheet=sheet
            )
            db.session.rollback()
        else:
            outcome = import_roster_file(
                file,
                region=rollout.region,
                rollout=rollout,
                mapping=mapping,
                sheet=sheet,
                collect_issues=True,
            )
    except UnreadableRoster as exc:
        db.session.rollback()
        raise click.ClickException(
            f"{file.name} was refused, nothing applied: {exc} Name the columns with "
            "--map field=Header (e.g. --map employee_id=objectId)."
        ) from exc
    issues = outcome.issues
    if save_map and pairs and mapping:
        # the file was read with it: remembered for the next file with these headers
        save_mapping(region_id=rollout.region_id, path=file, mapping=mapping, sheet=sheet)
    db.session.commit()
    c = outcome.counts
    click.echo(
        f"{'Dry run, nothing written' if dry_run else 'Imported'}: {c['rows']} rows — "
        f"{c['new']} new, {c['changed']} changed, {c['unchanged']} unchanged, "
        f"{c['errors']} with errors; {c['missing']} enrolled people missing from the file "
        "(flagged, not deleted)."
    )
    for line, column, reason in issues[:200]:
        click.echo(f"  line {line}, {column}: {reason}")


@click.group("rollout")
def rollout_group() -> None:
    """Manage rollouts."""


@rollout_group.command("launch")
@click.argument("slug")
@with_appcontext
def rollout_launch(slug: str) -> None:
    """Launch a rollout: every learner gets an invitation to commit."""

    rollout = _rollout(slug)
    try:
        launch_rollout(region=rollout.region, rollout=rollout, actor=None, channel="cli")
    except RolloutError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Launched {slug}: invitations are being queued for delivery.")


COMMANDS = [roster_group, rollout_group]
