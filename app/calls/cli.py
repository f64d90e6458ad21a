"""``summit calls generate SLUG`` and ``summit calls due [--region CODE]``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.calls import services
from app.calls.meetings import MeetingUnavailable
from app.calls.services import generate_series
from app.db import utcnow
from app.extensions import db
from app.regions.models import Region
from app.rollouts.models import Rollout

calls = click.Group("calls", help="Weekly expert calls.")


@calls.command("generate")
@click.argument("slug")
@click.option("--no-email", is_flag=True, help="Record the invitations without sending them.")
@with_appcontext
def generate_command(slug: str, no_email: bool) -> None:
    """Create the rollout's call series (missing sessions only) and invite attendees."""

    rollout = db.session.scalars(select(Rollout).where(Rollout.slug == slug)).one_or_none()
    if rollout is None:
        raise click.ClickException(f"no rollout {slug!r}")
    try:
        created = generate_series(region=rollout.region, rollout=rollout, notify=not no_email)
    except MeetingUnavailable as exc:
        db.session.rollback()
        raise click.ClickException(f"Teams did not create the meeting: {exc}") from exc
    db.session.commit()
    click.echo(f"{slug}: {len(created)} sessions created")


@calls.command("due")
@click.option("--region", "code", default=None, help="Only this region (default: all).")
@with_appcontext
def due_command(code: str | None) -> None:
    """Run the due work now: invitations sync, question prompts, agendas."""

    stmt = select(Region).order_by(Region.code)
    if code:
        stmt = stmt.where(Region.code == code)
    now = utcnow()
    for region in db.session.scalars(stmt).all():
        synced = services.sync_invitations(region=region, now=now)
        prompts = services.send_question_prompts(region=region, now=now)
        agendas = services.send_agendas(region=region, now=now)
        db.session.commit()
        click.echo(f"{region.code}: {synced} invitations, {prompts} prompts, {agendas} agendas")


COMMANDS = [calls]
