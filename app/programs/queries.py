"""Read side of the program pages."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.programs.models import Program


def programs_by_title() -> list[Program]:
    return list(db.session.scalars(select(Program).order_by(Program.title)))


def program_with_slug(slug: str) -> Program | None:
    return db.session.scalars(select(Program).where(Program.slug == slug)).one_or_none()
