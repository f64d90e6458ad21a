"""``summit progress import`` and ``summit xapi credentials``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.links.services import absolute_url
from app.programs.models import Module, Program
from app.progress.formats import FORMATS, FormatError
from app.progress.importing import finish, import_stream
from app.progress.mapping import set_unit_mapping
from app.progress.models import ImportStatus, ProgressImport
from app.progress.xapi import XAPI_VERSION, issue_credentials
from app.rollouts.models import Rollout


def _rollout(slug: str) -> Rollout:
    rollout = db.session.scalars(select(Rollout).where(Rollout.slug == slug)).one_or_none()
    if rollout is None:
        raise click.UsageError(f"no rollout {slug!r}")
    return rollout


@click.group("progress")
def progress_group() -> None:
    """Learner progress from the course platform."""


@progress_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rollout", "slug", required=True, help="The rollout's slug.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="auto", show_default=True)
@click.option(
    "--observed-at", help="When the export was made (ISO 8601), if the file does not say."
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON column mapping for --format generic (learner_column, unit_column, ...).",
)
@with_appcontext
def import_command(
    file: Path, slug: str, fmt: str, observed_at: str | None, mapping: Path | None
) -> None:
    """Import a progress export FILE into a rollout (safe to run twice)."""

    rollout = _rollout(slug)
    options: dict = {}
    if observed_at:
        options["observed_at"] = observed_at
    if mapping:
        options["mapping"] = json.loads(mapping.read_text())
    record = ProgressImport(
        region_id=rollout.region_id,
        rollout_id=rollout.id,
        filename=file.name,
        requested_format=fmt,
        bytes_total=file.stat().st_size,
        status=ImportStatus.RUNNING,
        started_at=utcnow(),
        report={"options": options, "channel": "cli"},
    )
    db.session.add(record)
    db.session.flush()
    try:
        with file.open("rb") as raw:
            result = import_stream(
                region=rollout.region,
                rollout=rollout,
                raw=raw,
                fmt=fmt,
                filename=file.name,
                options=options,
                progress_import=record,
            )
    except FormatError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    finish(record, result)
    db.session.commit()
    click.echo(
        f"{result.format}: {result.rows_read} rows, {result.applied} progress rows applied, "
        f"{result.activated} learners activated, {result.completed} completed."
    )
    if result.unknown_learners:
        click.echo(
            f"{result.unknown_learners} learners not enrolled in {slug}: "
            + ", ".join(result.unknown_sample)
        )
    for unit, n in sorted(result.unmapped_units.items()):
        click.echo(f"unmapped unit ({n} rows): {unit}")


@progress_group.command("map")
@click.option("--program", "program_slug", required=True, help="The program's slug.")
@click.argument("unit")
@click.option("--module", "module_key", help="The module key (e.g. m3) the unit counts for.")
@click.option("--ignore", is_flag=True, help="Ignore this unit (it counts for no module).")
@with_appcontext
def map_command(program_slug: str, unit: str, module_key: str | None, ignore: bool) -> None:
    """Map a provider UNIT name to a module of a program (overrides the title match)."""

    program = db.session.scalars(select(Program).where(Program.slug == program_slug)).one_or_none()
    if program is None:
        raise click.UsageError(f"no program {program_slug!r}")
    if ignore == bool(module_key):
        raise click.UsageError("give either --module KEY or --ignore")
    module = None
    if module_key:
        module = db.session.scalars(
            select(Module).where(Module.program_id == program.id, Module.key == module_key)
        ).one_or_none()
        if module is None:
            raise click.UsageError(f"{program.title} has no module {module_key!r}")
    row = set_unit_mapping(program=program, unit_name=unit, module=module)
    record(
        region_id=None,
        action="progress.unit_mapped",
        obj=row,
        channel="cli",
        data={"unit": unit, "module": module_key},
    )
    db.session.commit()
    click.echo(f"{unit!r} → {module.title if module else 'ignored'}")


@click.group("xapi")
def xapi_group() -> None:
    """The xAPI endpoint courses send statements to."""


@xapi_group.command("credentials")
@click.option("--rollout", "slug", required=True, help="The rollout's slug.")
@click.option("--rotate", is_flag=True, help="Replace the secret (the old one stops working).")
@with_appcontext
def credentials_command(slug: str, rotate: bool) -> None:
    """Print the endpoint and HTTP Basic credentials to give the course platform."""

    rollout = _rollout(slug)
    key, secret = issue_credentials(region=rollout.region, rollout=rollout, rotate=rotate)
    db.session.commit()
    click.echo(f"Endpoint:  {absolute_url('xapi.xapi_statements').rsplit('/statements', 1)[0]}/")
    click.echo(f"Version:   {XAPI_VERSION} (X-Experience-API-Version header)")
    click.echo(f"Username:  {key}")
    if secret is None:
        click.echo("Password:  (unchanged; it is stored hashed. Use --rotate for a new one.)")
    else:
        click.echo(f"Password:  {secret}")
        click.echo("Give these to the course platform now: the password is not shown again.")


COMMANDS = [progress_group, xapi_group]
