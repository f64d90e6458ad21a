"""Programs: the global courses (visible to all staff, changed by global admins)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from app.extensions import db
from app.programs.models import Program

bp = Blueprint("programs", __name__)


@bp.get("/programs")
def index() -> Any:
    programs = db.session.scalars(select(Program).order_by(Program.title)).all()
    return render_template("programs/index.html", programs=programs)


@bp.get("/programs/<slug>")
def show(slug: str) -> Any:
    program = db.session.scalars(select(Program).where(Program.slug == slug)).one_or_none()
    if program is None:
        abort(404)
    return render_template("programs/show.html", program=program)
