"""Programs: a global admin creates and edits them; validation says what to fix."""

from __future__ import annotations

import re

from flask import g
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.programs.models import Program
from tests.factories import staff

MODULES = "m1 | Foundations | 4\nm2 | Design | 5\nm3 | Delivery | 3"
TERMS = "2026-09-07 | 2026-10-18 | m1 m2\n2026-10-19 | 2026-11-29 | m3 | Finale"


def _token(client, path: str) -> str:  # type: ignore[no-untyped-def]
    g.pop("csrf_token", None)
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _form(**over: str) -> dict[str, str]:
    return {
        "title": "Cloud 2026",
        "slug": "cloud-2026",
        "provider": "Open edX",
        "course_url": "https://learning.example.com/cloud",
        "hours_per_week": "3",
        "modules": MODULES,
        "terms": TERMS,
        **over,
    }


def test_admin_creates_and_edits_a_program(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as(staff(Role.GLOBAL_ADMIN))
    token = _token(client, "/programs/new")
    response = client.post("/programs/new", data={"csrf_token": token, **_form()})
    assert response.status_code == 302, response.get_data(as_text=True)
    program = db.session.scalars(select(Program)).one()
    assert [m.key for m in program.modules] == ["m1", "m2", "m3"]
    assert [[m.key for m in t.required_modules] for t in program.terms] == [
        ["m1", "m2"],
        ["m1", "m2", "m3"],
    ]
    module_ids = {m.key: m.id for m in program.modules}
    edit = client.get("/programs/cloud-2026/edit").get_data(as_text=True)
    assert "2026-10-19 | 2026-11-29 | m3 | Finale" in edit
    changed = _form(modules=MODULES.replace("Design | 5", "Design again | 6"))
    client.post("/programs/cloud-2026/edit", data={"csrf_token": token, **changed})
    db.session.expire_all()
    assert program.modules[1].title == "Design again"
    assert {m.key: m.id for m in program.modules} == module_ids  # kept by key


def test_validation_messages_say_what_to_fix(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as(staff(Role.GLOBAL_ADMIN))
    token = _token(client, "/programs/new")
    bad_terms = (
        "2026-09-07 | 2026-10-18 | m1 m9\n"  # unknown module
        "2026-10-01 | 2026-09-30 | m2"  # overlaps and ends before it starts
    )
    response = client.post("/programs/new", data={"csrf_token": token, **_form(terms=bad_terms)})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "requires module &#39;m9&#39;, which is not in the modules" in html
    assert "Term 2 ends before it starts" in html
    assert "terms may not overlap" in html
    assert "not yet due: m3" in html
    assert db.session.scalars(select(Program)).first() is None
    unreadable = client.post(
        "/programs/new", data={"csrf_token": token, **_form(modules="m1 Foundations 4")}
    )
    assert "write key | title | hours" in unreadable.get_data(as_text=True)


def test_only_global_admin_changes_programs(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as(staff(Role.LOCAL_LEAD, "de"))
    assert client.get("/programs/new").status_code == 403
    assert client.get("/programs").status_code == 200
