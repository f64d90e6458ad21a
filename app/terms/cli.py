"""``summit term close``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.progress.queries import is_stale, max_age, progress_freshness
from app.rollouts.models import Rollout
from app.terms.services import close_term, program_term


@click.group("term")
def term_group() -> None:
    """Terms: verdicts and free riders."""


@term_group.command("close")
@click.option("--rollout", "slug", required=True, help="The rollout's slug.")
@click.option("--term", "number", type=int, required=True, help="The term's number (1, 2, ...).")
@click.option(
    "--accept-stale-progress",
    is_flag=True,
    help="Close even though the progress data is older than the region allows.",
)
@with_appcontext
def close_command(slug: str, number: int, accept_stale_progress: bool) -> None:
    """Give every learner of a rollout a verdict for a term (safe to run again)."""

    rollout = db.session.scalars(select(Rollout).where(Rollout.slug == slug)).one_or_none()
    if rollout is None:
        raise click.UsageError(f"no rollout {slug!r}")
    term = program_term(rollout.program, number)
    if term is None:
        raise click.UsageError(f"{rollout.program.title} has no term {number}")
    fresh = progress_freshness([rollout.id]).get(rollout.id)
    if not accept_stale_progress and is_stale(fresh, region=rollout.region, now=utcnow()):
        age = f"is as of {fresh.as_of:%Y-%m-%d %H:%M} UTC" if fresh else "does not exist yet"
        raise click.UsageError(
            f"the progress data of {slug} {age}, older than the {max_age(rollout.region).days} "
            "days its region allows: import newer progress, or confirm with "
            "--accept-stale-progress"
        )
    result = close_term(region=rollout.region, rollout=rollout, term=term, channel="cli")
    db.session.commit()
    click.echo(
        f"Term {number} of {slug}: {result.on_track} on track, {result.candidates} free-rider "
        f"candidates to review, {result.excused} excused, {result.confirmed} removed "
        f"({result.changed} verdicts set or changed, {result.statements} SQL statements)."
    )


COMMANDS = [term_group]
