"""``summit masterclasses sweep``: the daily master-class and goal-survey work, by hand.

It lives with the goals, which sit above the master classes (the survey email carries the
leaderboard opt-in link): the command sends both capabilities' due work."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.goals.services import due_goal_surveys
from app.masterclasses.services import due_masterclass_invitations, due_masterclass_reminders
from app.regions.models import Region

masterclasses = click.Group("masterclasses", help="Master classes, goal survey, recognition.")


@masterclasses.command("sweep")
@click.option("--region", "codes", multiple=True, help="Region code (default: every region).")
@with_appcontext
def sweep_command(codes: tuple[str, ...]) -> None:
    """Invite missed completers, promote waitlists, send day-before reminders and goal surveys."""

    stmt = select(Region).order_by(Region.code)
    if codes:
        stmt = stmt.where(Region.code.in_(codes))
    for region in db.session.scalars(stmt):
        invited = due_masterclass_invitations(region=region)
        reminded = due_masterclass_reminders(region=region)
        surveyed = due_goal_surveys(region=region)
        db.session.commit()
        click.echo(
            f"{region.code}: {invited} invited, {reminded} reminded, {surveyed} goal surveys sent"
        )


COMMANDS = [masterclasses]
