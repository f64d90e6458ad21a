"""Programs: a global admin creates and edits them as rows of modules and terms;
validation says what to fix next to the field, and nothing is saved on any problem."""

from __future__ import annotations

import re

from flask import g
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.programs.models import Program
from app.rollouts.models import EnrollmentState, RolloutStatus
from tests.factories import EnrollmentFactory, ProgramFactory, RolloutFactory, region, staff

#: (key, title, hours, due by term row)
MODULES = [
    ("m1", "Foundations", "4", "0"),
    ("m2", "Design", "5", "0"),
    ("m3", "Delivery", "3", "1"),
]
#: (title, start, end)
TERMS = [("Base camp", "2026-09-07", "2026-10-18"), ("Finale", "2026-10-19", "2026-11-29")]


def _token(client, path: str) -> str:  # type: ignore[no-untyped-def]
    g.pop("csrf_token", None)
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def rows(modules=MODULES, terms=TERMS) -> dict[str, str]:  # type: ignore[no-untyped-def]
    data = {}
    for i, (key, title, hours, due) in enumerate(modules):
        data |= {
            f"module-{i}-key": key,
            f"module-{i}-title": title,
            f"module-{i}-hours": hours,
            f"module-{i}-due": due,
        }
    for i, (title, start, end) in enumerate(terms):
        data |= {f"term-{i}-title": title, f"term-{i}-starts_on": start, f"term-{i}-ends_on": end}
    return data


def _form(**over: str) -> dict[str, str]:
    return {
        "title": "Cloud 2026",
        "slug": "cloud-2026",
        "provider": "Open edX",
        "course_url": "https://learning.example.com/cloud",
        "hours_per_week": "3",
        **rows(),
        **over,
    }


def test_admin_creates_and_edits_a_program_as_rows(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as(staff(Role.GLOBAL_ADMIN))
    token = _token(client, "/programs/new")
    new = client.get("/programs/new").get_data(as_text=True)
    assert 'type="date" id="term-0-starts_on"' in new and 'id="module-1-title"' in new
    response = client.post("/programs/new", data={"csrf_token": token, **_form()})
    assert response.status_code == 302, response.get_data(as_text=True)
    program = db.session.scalars(select(Program)).one()
    assert [m.key for m in program.modules] == ["m1", "m2", "m3"]
    assert [t.title for t in program.terms] == ["Base camp", "Finale"]
    assert [[m.key for m in t.required_modules] for t in program.terms] == [
        ["m1", "m2"],
        ["m1", "m2", "m3"],
    ]
    module_ids = {m.key: m.id for m in program.modules}
    # the edit form gives the rows back: one per module and per term, then empty ones
    edit = client.get("/programs/cloud-2026/edit").get_data(as_text=True)
    assert 'name="term-1-title" value="Finale"' in edit
    assert 'name="term-1-ends_on" value="2026-11-29"' in edit
    assert 'name="module-1-title" value="Design"' in edit
    assert re.search(r'id="module-2-due".*?<option value="1" selected>Finale</option>', edit, re.S)
    assert 'id="module-3-key"' in edit  # a spare row to add a module
    # rename a module, reorder, remove one: modules are kept by key
    changed = _form(
        **{"module-1-title": "Design again", "module-1-hours": "6", "module-1-order": "1"},
        **{"module-0-order": "2", "module-2-remove": "1"},
    )
    changed["term-1-title"] = "Practice"
    changed.update({"module-0-due": "1"})  # m1 now due by the end of term 2
    response = client.post("/programs/cloud-2026/edit", data={"csrf_token": token, **changed})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert [(m.key, m.title) for m in program.modules] == [
        ("m2", "Design again"),
        ("m1", "Foundations"),
    ]
    assert {m.key: m.id for m in program.modules} == {k: module_ids[k] for k in ("m1", "m2")}
    assert [[m.key for m in t.required_modules] for t in program.terms] == [["m2"], ["m2", "m1"]]
    last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last.action == "program.updated"


def test_add_a_row_without_javascript_saves_nothing(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as(staff(Role.GLOBAL_ADMIN))
    token = _token(client, "/programs/new")
    response = client.post("/programs/new", data={"csrf_token": token, **_form(), "add": "term"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="term-1-title" value="Finale"' in html  # what was typed stays
    assert 'id="term-2-title"' in html and 'id="term-3-title"' in html  # one more empty row
    assert re.search(r'id="term-3-title" name="term-3-title" value=""\s+autofocus', html)
    assert db.session.scalars(select(Program)).first() is None


def test_validation_errors_sit_next_to_their_field_and_nothing_is_saved(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as(staff(Role.GLOBAL_ADMIN))
    token = _token(client, "/programs/new")
    bad = _form(
        **rows(
            modules=[
                ("m1", "Foundations", "4", "0"),
                ("m1", "", "many", ""),
                ("m3", "X", "2", "1"),
            ],
            terms=[
                ("Base camp", "2026-09-07", "2026-10-18"),
                ("", "2026-10-01", "2026-09-30"),  # no title, overlaps, ends before it starts
            ],
        )
    )
    response = client.post("/programs/new", data={"csrf_token": token, **bad})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Nothing was saved." in html

    def message(field: str) -> str:
        found = re.search(rf'<span class="field-error" id="{field}-error-1">([^<]*)</span>', html)
        assert found, field
        control = re.search(rf'id="{field}"[^>]*>', html)
        assert control and f'aria-describedby="{field}-error-1' in control.group(0), field
        return found.group(1)

    assert "used twice" in message("module-1-key")
    assert "Give the module a title." in message("module-1-title")
    assert "more than 0" in message("module-1-hours")
    assert "Choose the term" in message("module-1-due")
    assert "Give the term a title" in message("term-1-title")
    assert "The term ends before it starts." in message("term-1-ends_on")
    assert "without overlapping" in message("term-1-starts_on")
    assert 'name="module-1-hours" value="many"' in html  # what was typed comes back
    assert db.session.scalars(select(Program)).first() is None
    empty = client.post(
        "/programs/new",
        data={"csrf_token": token, **{k: v for k, v in _form().items() if "-" not in k}},
    ).get_data(as_text=True)
    assert "Add at least one module." in empty and "Add at least one term." in empty


def test_an_edit_with_a_problem_changes_nothing(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as(staff(Role.GLOBAL_ADMIN))
    token = _token(client, "/programs/new")
    client.post("/programs/new", data={"csrf_token": token, **_form()})
    changed = _form(**{"module-0-title": "Renamed", "term-1-ends_on": "2026-10-01"})
    assert (
        client.post("/programs/cloud-2026/edit", data={"csrf_token": token, **changed}).status_code
        == 400
    )
    db.session.expire_all()
    program = db.session.scalars(select(Program)).one()
    assert program.modules[0].title == "Foundations"
    assert str(program.terms[1].ends_on) == "2026-11-29"


def test_term_titles_are_shown_instead_of_numbers(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as(staff(Role.GLOBAL_ADMIN))
    token = _token(client, "/programs/new")
    client.post("/programs/new", data={"csrf_token": token, **_form()})
    html = client.get("/programs/cloud-2026").get_data(as_text=True)
    assert "Base camp: " in html and "Finale: " in html
    assert "Term 1" not in html


def test_the_program_page_shows_the_regions_running_it_and_adopt_works(client, login_as) -> None:  # type: ignore[no-untyped-def]
    program = ProgramFactory(slug="cloud-2026", title="Cloud 2026")
    de = RolloutFactory(program=program, region_id=region("de").id, slug="cloud-de")
    de.status = RolloutStatus.LAUNCHED
    for state in (EnrollmentState.COMPLETED, EnrollmentState.ACTIVE, EnrollmentState.ACTIVE):
        EnrollmentFactory(rollout=de, state=state)
    RolloutFactory(program=program, region_id=region("fr").id, slug="cloud-fr")
    region("us")
    lead = staff(Role.LOCAL_LEAD, "us")
    db.session.commit()

    login_as(staff(Role.GLOBAL_ADMIN))
    html = client.get("/programs/cloud-2026").get_data(as_text=True)
    assert "Regions running it" in html
    assert re.search(r"cloud-de</a></td>\s*<td><span class=\"badge badge-ok\">launched", html)
    assert '<td class="num">3</td>' in html and "33%" in html
    assert "cloud-fr" in html and "draft" in html

    # a local lead sees only their regions' rollouts, and adopts the program in theirs
    login_as(lead)
    html = client.get("/programs/cloud-2026").get_data(as_text=True)
    assert "cloud-de" not in html and "cloud-fr" not in html
    assert "No region you can see runs this program yet." in html
    adopt = f"/r/us/rollouts/new?program={program.id}"
    assert f'href="{adopt}"' in html.replace("&amp;", "&")
    form = client.get(adopt).get_data(as_text=True)
    assert f'<option value="{program.id}" selected>Cloud 2026</option>' in form
    token = _token(client, adopt)
    response = client.post(
        adopt,
        data={
            "csrf_token": token,
            "slug": "cloud-us",
            "program_id": str(program.id),
            "cohort_start": program.terms[0].starts_on.isoformat(),
            "call_weekday": "3",
            "call_time": "16:00",
            "call_duration_minutes": "45",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    html = client.get("/programs/cloud-2026").get_data(as_text=True)
    assert "cloud-us" in html and "Adopt it in" not in html


def test_only_global_admin_changes_programs(client, login_as) -> None:  # type: ignore[no-untyped-def]
    login_as(staff(Role.LOCAL_LEAD, "de"))
    assert client.get("/programs/new").status_code == 403
    assert client.get("/programs").status_code == 200
