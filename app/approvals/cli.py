"""``summit approvals ...``: run the due work now, or print a manager's decision link."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.approvals.digests import send_due_requests
from app.approvals.emails import decision_url
from app.approvals.reminders import send_due_reminders
from app.db import utcnow
from app.extensions import db
from app.people.models import Person, normalise_email
from app.regions.models import Region
from app.rollouts.models import Rollout


@click.group("approvals")
def approvals() -> None:
    """Manager sign-off on study time."""


@approvals.command("send-due")
@click.option("--region", "code", help="Only this region (its code); all regions by default.")
@with_appcontext
def send_due(code: str | None) -> None:
    """Send due requests and reminders now (what the scheduler runs)."""

    stmt = select(Region).order_by(Region.code)
    if code:
        stmt = stmt.where(Region.code == code)
    regions = db.session.scalars(stmt).all()
    if not regions:
        raise click.ClickException(f"no region {code!r}; run `summit regions sync` first")
    for region in regions:
        now = utcnow()
        requests = send_due_requests(region=region, now=now)
        run = send_due_reminders(region=region, now=now)
        db.session.commit()
        click.echo(
            f"{region.code}: {requests} requests, {run.reminded} reminders, "
            f"{run.escalated} escalated"
        )


@approvals.command("link")
@click.argument("email")
@click.option("--rollout", "slug", required=True, help="The rollout's slug, e.g. lht-de.")
@with_appcontext
def link(email: str, slug: str) -> None:
    """Print the decision-page link of the manager with EMAIL (to try the page by hand)."""

    person = db.session.scalars(
        select(Person).where(Person.email == normalise_email(email))
    ).one_or_none()
    rollout = db.session.scalars(select(Rollout).where(Rollout.slug == slug)).one_or_none()
    if person is None or rollout is None:
        raise click.ClickException("unknown manager email or rollout slug")
    click.echo(decision_url(recipient_id=person.id, rollout_id=rollout.id))


COMMANDS = [approvals]
