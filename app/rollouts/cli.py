"""``summit rollout launch``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.rollouts.checklist import launch_checked
from app.rollouts.models import Rollout
from app.rollouts.services import RolloutError


def find_rollout(slug: str) -> Rollout:
    rollout = db.session.scalars(select(Rollout).where(Rollout.slug == slug)).one_or_none()
    if rollout is None:
        raise click.ClickException(f"no rollout {slug!r}")
    return rollout


@click.group("rollout")
def rollout_group() -> None:
    """Manage rollouts."""


@rollout_group.command("launch")
@click.argument("slug")
@with_appcontext
def rollout_launch(slug: str) -> None:
    """Launch a rollout: every learner gets an invitation to commit.

    Refused, as on the web, while a required step of the draft checklist is not done."""

    rollout = find_rollout(slug)
    try:
        done = launch_checked(region=rollout.region, rollout=rollout, actor=None, channel="cli")
    except RolloutError as exc:
        raise click.ClickException(f"{slug} was not launched: {exc}") from exc
    if not done:
        raise click.ClickException(f"{slug} was launched already: nothing was sent again.")
    db.session.commit()
    click.echo(f"Launched {slug}: invitations are being queued for delivery.")


COMMANDS = [rollout_group]
