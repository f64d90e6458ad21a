"""A person's data, for global admins: look up, export (JSON, readable page), erase."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from app.auth.access import current_staff, require_role
from app.auth.models import Role
from app.extensions import db
from app.language import _
from app.people.models import Person
from app.privacy import labels, queries
from app.privacy.forms import EraseForm
from app.privacy.services import erase_person, export_person

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


def _person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None:
        abort(404)
    return person


@bp.get("/people")
@require_role(Role.GLOBAL_ADMIN)
def search() -> Any:
    query = request.args.get("q", "").strip()
    people: list[Person] = []
    if query:
        people = queries.people_matching(query)
    return render_template("privacy/search.html", query=query, people=people)


@bp.get("/people/<int:person_id>")
@require_role(Role.GLOBAL_ADMIN)
def show(person_id: int) -> Any:
    person = _person(person_id)
    data = export_person(person=person)
    return render_template("privacy/person.html", person=person, data=data, labels=labels)


@bp.get("/people/<int:person_id>/export.json")
@require_role(Role.GLOBAL_ADMIN)
def export_json(person_id: int) -> Any:
    person = _person(person_id)
    body = json.dumps(export_person(person=person), indent=2, ensure_ascii=False)
    response = Response(body, mimetype="application/json")
    # an employee id is data: only word characters reach the name, which Werkzeug quotes
    # (and gives a filename* for non-ASCII); no quote, semicolon or line break gets through
    safe_id = re.sub(r"[^\w.-]", "_", person.employee_id)
    response.headers.set("Content-Disposition", "attachment", filename=f"summit-{safe_id}.json")
    return response


@bp.post("/people/<int:person_id>/erase")
@require_role(Role.GLOBAL_ADMIN)
def erase(person_id: int) -> Any:
    person = _person(person_id)
    if EraseForm().confirm.data != person.employee_id:
        flash(_("Type the employee id exactly to confirm the erasure."), "error")
        return redirect(url_for("privacy.show", person_id=person.id))
    if erase_person(person=person, actor=current_staff(), channel="web"):
        flash(_("The person's personal data was erased."), "success")
    else:
        flash(_("This person's data was already erased."), "info")
    return redirect(url_for("privacy.show", person_id=person.id))
