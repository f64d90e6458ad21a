"""Programs: the global courses (visible to all staff, changed by global admins)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from app.auth.access import current_staff, require_role
from app.auth.models import Role
from app.language import _
from app.programs import queries
from app.programs.forms import SPARE_MODULE_ROWS, SPARE_TERM_ROWS, ProgramForm
from app.programs.models import Program
from app.programs.services import (
    ProgramError,
    ProgramInput,
    as_form_values,
    save_program,
    validate,
)
from app.transaction import rollback

bp = Blueprint("programs", __name__)


@bp.get("/programs")
def index() -> Any:
    programs = queries.programs_by_title()
    return render_template("programs/index.html", programs=programs)


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
        return _render(program, values, values.get("modules", []), values.get("terms", []))
    form = ProgramForm()
    modules, terms = form.rows("module"), form.rows("term")
    if form.add.data in ("module", "term"):
        # "add a row" without JavaScript: the same form with one more empty row, not saved
        extra = {"module": 1, "term": 0} if form.add.data == "module" else {"term": 1}
        return _render(program, dict(request.form), modules, terms, extra=extra)
    data = ProgramInput(
        slug=form.slug.data or "",
        title=form.title.data or "",
        provider=form.provider.data or "",
        course_url=form.course_url.data or "",
        description=form.description.data or "",
        hours_per_week=form.hours_per_week.data,
        modules=form.modules(),
        terms=form.terms(),
    )
    # every field's problem at once, each next to its field; nothing saved on any
    errors: dict[str, list[str]] = validate(data, program)
    if not errors:
        try:
            program = save_program(program=program, data=data, actor=current_staff())
        except ProgramError as exc:
            errors = exc.errors
    if errors:
        rollback()
        return _render(program, dict(request.form), modules, terms, errors=errors), 400
    flash(_("Program saved."), "success")
    return redirect(url_for("web.program", slug=program.slug))  # type: ignore[union-attr]


def _render(
    program: Program | None,
    values: dict[str, Any],
    modules: list[dict[str, Any]],
    terms: list[dict[str, Any]],
    *,
    errors: dict[str, list[str]] | None = None,
    extra: dict[str, int] | None = None,
) -> Any:
    """The form with the rows given numbered as posted, then empty rows to fill in."""
    extra = extra or {}
    modules = _numbered(modules, SPARE_MODULE_ROWS + extra.get("module", 0))
    terms = _numbered(terms, SPARE_TERM_ROWS + extra.get("term", 0))
    return render_template(
        "programs/form.html",
        program=program,
        values=values,
        modules=modules,
        terms=terms,
        errors=errors or {},
        # after "add a row", the new row's first field has the focus
        focus=_first_field(modules, terms, extra),
    )


def _numbered(rows: list[dict[str, Any]], spare: int) -> list[dict[str, Any]]:
    numbered = [{**r, "row": r.get("row", i)} for i, r in enumerate(rows)]
    after = max((r["row"] for r in numbered), default=-1) + 1
    return numbered + [{"row": after + i, "spare": True} for i in range(spare)]


def _first_field(
    modules: list[dict[str, Any]], terms: list[dict[str, Any]], extra: dict[str, int]
) -> str | None:
    if extra.get("module"):
        return f"module-{modules[-1]['row']}-key"
    if extra.get("term"):
        return f"term-{terms[-1]['row']}-title"
    return None
