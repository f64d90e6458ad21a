"""``summit mail test`` and ``summit mail sweep``."""

from __future__ import annotations

import uuid

import click
from flask.cli import with_appcontext

from app.db import utcnow
from app.extensions import db
from app.links.services import absolute_url
from app.mail.delivery import sweep
from app.mail.services import queue_email


@click.group("mail")
def mail_group() -> None:
    """The outbox: send a test email, re-enqueue delivery."""


@mail_group.command("test")
@click.option("--to", "to_address", required=True, help="Recipient address.")
@click.option("--locale", default="en", show_default=True, help="en, de or fr (Babel locale).")
@click.option("--time-zone", default="UTC", show_default=True)
@with_appcontext
def send_test(to_address: str, locale: str, time_zone: str) -> None:
    """Queue a test email through the outbox (check the mail settings end to end)."""

    email = queue_email(
        kind="mail/test",
        to_address=to_address,
        to_name="",
        idempotency_key=f"cli:mail-test:{uuid.uuid4().hex}",
        context={"name": to_address, "sent_at": utcnow(), "url": absolute_url("web.home")},
        locale=locale,
        time_zone=time_zone,
    )
    db.session.commit()
    click.echo(f"Queued email {email.id} to {to_address}; a worker delivers it.")


@mail_group.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Enqueue delivery for every due outbox row (what each scheduler tick does)."""

    click.echo(f"{sweep()} emails due.")


COMMANDS = [mail_group]
