"""Programs: the global courses (visible to all staff, changed by global admins)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from app.auth.access import current_staff, require_role
from app.auth.models import Role
from app.language import _
from app.programs import queries
from app.programs.forms import ProgramForm
from app.programs.models import Program
from app.programs.services import (
    ProgramError,
    ProgramInput,
    as_form_values,
    parse_modules,
    parse_terms,
    save_program,
    validate,
)
from app.transaction import rollback

bp = Blueprint("programs", __name__)


@bp.get("/programs")
def index() -> Any:
    programs = queries.programs_by_title()
    return render_template("programs/index.html", programs=programs)


@bp.get("/programs/<slug>")
def show(slug: str) -> Any:
    return render_template("programs/show.html", program=_load(slug))


def _load(slug: str) -> Program:
    program = queries.program_with_slug(slug)
    if program is None:
        abort(404)
    return program


@bp.route("/programs/new", methods=["GET", "POST"])
@require_role(Role.GLOBAL_ADMIN)
def create() -> Any:
    return _save(None)


@bp.route("/programs/<slug>/edit", methods=["GET", "POST"])
@require_role(Role.GLOBAL_ADMIN)
def edit(slug: str) -> Any:
    return _save(_load(slug))


def _save(program: Program | None) -> Any:
    if request.method == "GET":
        values = as_form_values(program) if program else {"hours_per_week": "2"}
        return render_template("programs/form.html", program=program, values=values, errors={})
    form = ProgramForm()
    modules, module_problems = parse_modules(form.modules.data or "")
    terms, term_problems = parse_terms(form.terms.data or "")
    data = ProgramInput(
        slug=form.slug.data or "",
        title=form.title.data or "",
        provider=form.provider.data or "",
        course_url=form.course_url.data or "",
        description=form.description.data or "",
        hours_per_week=form.hours_per_week.data,
        modules=modules,
        terms=terms,
    )
    # every field's problem at once: an unreadable line must not hide the others
    errors: dict[str, list[str]] = validate(data, program)
    if module_problems:
        errors["modules"] = module_problems
    if term_problems:
        errors["terms"] = term_problems
    if not errors:
        try:
            program = save_program(program=program, data=data, actor=current_staff())
        except ProgramError as exc:
            errors = exc.errors
    if errors:
        rollback()
        return render_template(
            "programs/form.html", program=program, values=dict(request.form), errors=errors
        ), 400
    flash(_("Program saved."), "success")
    return redirect(url_for("programs.show", slug=program.slug))  # type: ignore[union-attr]
