"""``summit xapi credentials``: what a course platform needs to send statements."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.links.services import absolute_url
from app.rollouts.cli import find_rollout
from app.xapi.credentials import issue_credentials
from app.xapi.statements import XAPI_VERSION


@click.group("xapi")
def xapi_group() -> None:
    """The xAPI endpoint courses send statements to."""


@xapi_group.command("credentials")
@click.option("--rollout", "slug", required=True, help="The rollout's slug.")
@click.option("--rotate", is_flag=True, help="Replace the secret (the old one stops working).")
@with_appcontext
def credentials_command(slug: str, rotate: bool) -> None:
    """Print the endpoint and HTTP Basic credentials to give the course platform."""
    rollout = find_rollout(slug)
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


COMMANDS = [xapi_group]
