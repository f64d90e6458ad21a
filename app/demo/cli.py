"""``summit demo``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.demo.services import seed_demo
from app.extensions import db


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create the demo organisation (safe to run again: nothing is duplicated)."""

    ctx = seed_demo()
    db.session.commit()
    click.echo(
        f"Demo {'created' if ctx.created else 'already present'}: {ctx.program.title}, "
        f"{len(ctx.rollouts)} rollouts, {len(ctx.staff)} staff."
    )


COMMANDS = [demo_command]
