"""``summit person export|erase EMPLOYEE_ID``."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.people.models import Person
from app.privacy.services import erase_person, export_person

person = click.Group("person", help="A person's data: export it, or erase it on request.")


def _load(employee_id: str) -> Person:
    found = db.session.scalars(
        select(Person).where(Person.employee_id == employee_id.strip())
    ).first()
    if found is None:
        raise click.ClickException(f"no person with employee id {employee_id!r}")
    return found


@person.command("export")
@click.argument("employee_id")
@with_appcontext
def export_command(employee_id: str) -> None:
    """Print everything Summit holds about one person, as JSON."""
    click.echo(json.dumps(export_person(person=_load(employee_id)), indent=2, ensure_ascii=False))


@person.command("erase")
@click.argument("employee_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def erase_command(employee_id: str, yes: bool) -> None:
    """Erase one person's personal data everywhere (idempotent, logged)."""
    target = _load(employee_id)
    if not yes:
        click.confirm(f"Erase all personal data of {target.name} ({employee_id})?", abort=True)
    if erase_person(person=target, actor=None, channel="cli"):
        db.session.commit()
        click.echo(f"Erased {employee_id}: now {target.employee_id}.")
    else:
        click.echo(f"{employee_id} was already erased.")


COMMANDS = [person]
