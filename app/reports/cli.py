"""``summit reports build --week 2026-W48 [--send]`` and ``summit reports due``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.db import utcnow
from app.extensions import db
from app.reports.services import build_week, due_reports, send_due
from app.weeks import parse_week

reports = click.Group("reports", help="Weekly sponsor reports.")


@reports.command("build")
@click.option("--week", required=True, help="ISO week, e.g. 2026-W48.")
@click.option("--send", is_flag=True, help="Also email the reports not sent yet.")
@with_appcontext
def build_command(week: str, send: bool) -> None:
    """Build (or rebuild) the week's snapshots; a report already sent is kept as sent."""

    try:
        parse_week(week)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--week") from exc
    result = build_week(week=week.upper(), send=send)
    db.session.commit()
    click.echo(
        f"{week.upper()}: {len(result.reports) - len(result.kept)} built, "
        f"{len(result.kept)} kept as sent, {len(result.sent)} sent."
    )


@reports.command("due")
@click.option("--send", is_flag=True, help="Build and send what is due now.")
@with_appcontext
def due_command(send: bool) -> None:
    """List the reports due now (what the scheduler sends)."""

    now = utcnow()
    due = send_due(now=now) if send else due_reports(now=now)
    db.session.commit()
    for item in due:
        click.echo(f"{item.week} {item.scope} {item.region_id or ''}".rstrip())
    if not due:
        click.echo("Nothing due.")


COMMANDS = [reports]
