"""The four failures of issue 19, each with an HR export as it came from the field.

On the main branch before this change: the manager headers were not recognised, the
top person's refusal cascaded through the tree, an email in another case was "not
known", and an .xlsx uploaded through the web page stayed "queued" forever.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from flask import g
from openpyxl import Workbook
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.people.models import Person
from app.rollouts.models import Enrollment
from app.roster.importing import dry_run_roster_file, import_roster_file
from app.roster.models import ImportStatus, RosterImport
from tests.factories import PersonFactory, RolloutFactory, staff


def _people() -> dict[str, Person]:
    return {p.employee_id: p for p in db.session.scalars(select(Person))}


def _import(path: Path, rollout):  # type: ignore[no-untyped-def]
    outcome = import_roster_file(path, region=rollout.region, rollout=rollout)
    db.session.commit()
    return outcome


ORG = [
    ("D-1", "Dana Head", "dana.head@example.com", ""),
    ("E-1", "Eli One", "eli.one@example.com", "D-1"),
    ("E-2", "Eva Two", "eva.two@example.com", "D-1"),
    ("E-3", "Emil Three", "emil.three@example.com", "E-1"),
]


def test_snake_case_and_spelled_out_manager_headers(tmp_path: Path) -> None:
    rollout = RolloutFactory()
    for header in ("manager_employee_id", "Manager Employee ID", "managerEmployeeId"):
        path = tmp_path / "export.csv"
        lines = [f"employee_id,full_name,work_email,{header}"]
        lines += [",".join(row) for row in ORG]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        outcome = dry_run_roster_file(path, region=rollout.region, rollout=rollout)
        assert outcome.counts["errors"] == 0, (header, outcome.issues)
        assert outcome.headers["manager_id"] == header


def test_the_top_person_imports_and_nothing_cascades(tmp_path: Path) -> None:
    rollout = RolloutFactory()
    path = tmp_path / "export.csv"
    rows = [
        *ORG,
        ("E-4", "Bad Mail", "not-an-email", "D-1"),
        ("E-5", "Fay", "fay@example.com", "E-4"),
    ]
    path.write_text(
        "Employee ID,Name,Email,Manager ID\n" + "\n".join(",".join(r) for r in rows) + "\n",
        encoding="utf-8",
    )
    outcome = _import(path, rollout)
    assert outcome.counts["errors"] == 1  # only the row that is wrong itself
    people = _people()
    assert set(people) == {"D-1", "E-1", "E-2", "E-3", "E-5"}
    assert people["D-1"].manager_id is None
    assert people["E-3"].manager_id == people["E-1"].id
    assert people["E-5"].manager_id is None  # their manager's row was refused: no cascade
    notes = dry_run_roster_file(path, region=rollout.region, rollout=rollout, notes=True).issues
    assert (
        7,
        "Manager ID",
        "imported without a manager for now: the manager's own row (line 6) was refused",
    ) in notes


def test_manager_email_in_another_case_and_with_spaces(tmp_path: Path) -> None:
    rollout = RolloutFactory()
    PersonFactory(employee_id="C-1", email="chef@example.fr", name="Chef Connu")
    path = tmp_path / "export.csv"
    path.write_text(
        "Matricule;Nom;Prénom;Courriel;Email du responsable\n"
        "F-1;Martin;Léa; Lea.Martin@Example.FR ; CHEF@example.fr \n"
        "F-2;Petit;Jean;jean.petit@example.fr;LEA.MARTIN@example.fr\n",
        encoding="utf-8",
    )
    outcome = _import(path, rollout)
    assert outcome.counts["errors"] == 0, outcome.issues
    people = _people()
    assert people["F-1"].manager_id == people["C-1"].id
    assert people["F-1"].email == "lea.martin@example.fr"
    assert people["F-2"].manager_id == people["F-1"].id


def test_an_unknown_manager_with_an_email_is_created_as_a_non_learner(tmp_path: Path) -> None:
    rollout = RolloutFactory()
    path = tmp_path / "export.csv"
    path.write_text(
        "Employee ID,Name,Email,Line Manager ID,Line Manager Email,Manager Name\n"
        'E-1,Eli One,eli@example.com,M-77,Max.Boss@example.com,"Boss, Max"\n'
        'E-2,Eva Two,eva@example.com,M-77,max.boss@example.com,"Boss, Max"\n'
        "E-3,Emil,emil@example.com,M-78,,\n",
        encoding="utf-8",
    )
    outcome = _import(path, rollout)
    people = _people()
    assert people["M-77"].email == "max.boss@example.com" and people["M-77"].name == "Max Boss"
    assert people["E-1"].manager_id == people["E-2"].manager_id == people["M-77"].id
    assert "E-3" not in people  # no email for their manager: reported
    assert outcome.counts["managers_created"] == 1 and outcome.counts["errors"] == 1
    enrolled = {e.person.employee_id for e in db.session.scalars(select(Enrollment))}
    assert enrolled == {"E-1", "E-2"}


def _token(client, path: str) -> str:  # type: ignore[no-untyped-def]
    g.pop("csrf_token", None)
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _workbook(*sheets: tuple[str, list[list[object]], str]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows, state in sheets:
        sheet = book.create_sheet(title)
        sheet.sheet_state = state
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_through_the_web_page(client, login_as, run_jobs) -> None:  # type: ignore[no-untyped-def]
    RolloutFactory(slug="sef-de")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    data = _workbook(
        (
            "Hidden",
            [["Employee ID", "Name", "Email"], ["X-1", "Hidden", "x@example.com"]],
            "hidden",
        ),
        (
            "Mitarbeiter",
            [
                ["Mitarbeiterliste Stand 01.12."],
                [],
                ["Personalnummer", "Vorname", "Nachname", "E-Mail", "Führungskraft"],
                ["000101", "Greta", "Boss", "greta@example.com", None],
                [102, "Anna", "Müller", "anna@example.com", "000101"],
                [None, None, None, None, None],
                ["Summe: 2", None, None, None, None],
            ],
            "visible",
        ),
    )
    path = "/r/de/rollouts/sef-de/roster"
    response = client.post(
        path,
        data={"csrf_token": _token(client, path), "file": (io.BytesIO(data), "Export.XLSX")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    imp = db.session.scalars(select(RosterImport)).one()
    assert imp.stored_path.endswith(".xlsx")
    run_jobs()
    db.session.expire_all()
    assert imp.status is ImportStatus.PREVIEWED, imp.message
    base = f"/r/de/rollouts/sef-de/roster/{imp.id}"
    client.post(base + "/confirm", data={"csrf_token": _token(client, base)})
    run_jobs()
    db.session.expire_all()
    assert imp.status is ImportStatus.APPLIED, imp.message
    people = _people()
    assert set(people) == {"000101", "102"}
    assert people["102"].manager_id == people["000101"].id


def test_a_job_that_raises_ends_failed_with_the_reason(client, login_as, run_jobs) -> None:  # type: ignore[no-untyped-def]
    RolloutFactory(slug="sef-de")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    # a workbook whose sheet XML is broken: openpyxl raises its own parse error
    book = io.BytesIO(_workbook(("S", [["Employee ID", "Name", "Email"]], "visible")))
    import zipfile

    broken = io.BytesIO()
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                body = body[: len(body) // 2]
            dst.writestr(item, body)
    path = "/r/de/rollouts/sef-de/roster"
    client.post(
        path,
        data={
            "csrf_token": _token(client, path),
            "file": (io.BytesIO(broken.getvalue()), "x.xlsx"),
        },
        content_type="multipart/form-data",
    )
    run_jobs()
    imp = db.session.scalars(select(RosterImport)).one()
    db.session.expire_all()
    assert imp.status in (ImportStatus.FAILED, ImportStatus.REFUSED)
    page = client.get(f"/r/de/rollouts/sef-de/roster/{imp.id}").get_data(as_text=True)
    assert imp.message and imp.message.split("(")[0] in page
    status = client.get(f"/r/de/rollouts/sef-de/roster/{imp.id}/status.json").get_json()
    assert status["done"] is True


def test_reasons_in_the_leads_language_and_no_manager_on_the_dashboard(  # type: ignore[no-untyped-def]
    client, login_as, run_jobs
) -> None:
    RolloutFactory(slug="sef-de")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    body = (
        "Personalnummer;Name;E-Mail;Vorgesetzter\n"
        "1;Greta Boss;greta@example.com;\n"
        "2;Anna Müller;kaputt;1\n"
        "3;Jonas Weber;jonas@example.com;1\n"
    ).encode("cp1252")
    path = "/r/de/rollouts/sef-de/roster"
    client.post(
        path,
        data={"csrf_token": _token(client, path), "file": (io.BytesIO(body), "export.csv")},
        content_type="multipart/form-data",
    )
    run_jobs()
    imp = db.session.scalars(select(RosterImport)).one()
    base = f"/r/de/rollouts/sef-de/roster/{imp.id}"
    page = client.get(base, headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)
    assert "ungültige E-Mail-Adresse" in page
    fr = client.get(base + "/issues.csv", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "3,E-Mail,adresse e-mail invalide" in fr
    client.post(base + "/confirm", data={"csrf_token": _token(client, base)})
    run_jobs()
    page = client.get("/r/de/rollouts/sef-de").get_data(as_text=True)
    assert "1 without a manager" in page  # Greta, at the top of the file, is a learner
    listed = client.get("/r/de/rollouts/sef-de/learners?stage=no_manager").get_data(as_text=True)
    assert "Greta Boss" in listed and "Jonas Weber" not in listed


def test_the_lead_maps_columns_chooses_who_is_in_and_it_is_remembered(  # type: ignore[no-untyped-def]
    client, login_as, run_jobs
) -> None:
    from app.roster.models import RosterMapping

    RolloutFactory(slug="sef-de")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    body = (
        "objectId,displayName,mail,Cost centre,Boss\n"
        "a1,Greta Boss,greta@example.com,DE-Sales,\n"
        "a2,Anna Müller,anna@example.com,DE-Sales,greta@example.com\n"
        "a3,Pierre Roy,pierre@example.com,FR-Ops,greta@example.com\n"
    ).encode()
    path = "/r/de/rollouts/sef-de/roster"

    def upload() -> RosterImport:
        client.post(
            path,
            data={"csrf_token": _token(client, path), "file": (io.BytesIO(body), "entra.csv")},
            content_type="multipart/form-data",
        )
        run_jobs()
        imp = db.session.scalars(select(RosterImport).order_by(RosterImport.id.desc())).first()
        db.session.refresh(imp)
        return imp

    imp = upload()
    assert imp.status is ImportStatus.REFUSED  # no employee id column it recognises
    base = f"/r/de/rollouts/sef-de/roster/{imp.id}"
    page = client.get(base).get_data(as_text=True)
    assert 'name="map-employee_id"' in page and "greta@example.com" in page  # samples
    form = {f"map-{f}": "" for f in ("employee_id", "email", "name", "manager")}
    form.update(
        {
            "csrf_token": _token(client, base),
            "map-employee_id": "objectId",
            "map-email": "mail",
            "map-name": "displayName",
            "map-manager": "Boss",
            "filter_column": "Cost centre",
            "filter_values": "de-sales",
        }
    )
    assert client.post(base + "/columns", data=form).status_code == 302
    run_jobs()
    db.session.refresh(imp)
    assert imp.status is ImportStatus.PREVIEWED, imp.message
    assert imp.preview_counts["new"] == 2 and imp.preview_counts["excluded"] == 1
    page = client.get(base).get_data(as_text=True)
    assert "Rows left out by" in page and "FR-Ops" in page
    client.post(base + "/confirm", data={"csrf_token": _token(client, base)})
    run_jobs()
    assert set(_people()) == {"a1", "a2"}
    assert _people()["a2"].manager_id == _people()["a1"].id
    assert db.session.scalars(select(RosterMapping)).one().mapping["employee_id"] == "objectId"
    again = upload()  # next week's file: same headers, no questions
    assert again.status is ImportStatus.PREVIEWED, again.message
    assert again.preview_counts["unchanged"] == 2 and again.preview_counts["excluded"] == 1
    bad = dict(form, csrf_token=_token(client, base), **{"map-email": "Nope"})
    client.post(f"/r/de/rollouts/sef-de/roster/{again.id}/columns", data=bad)
    db.session.refresh(again)
    assert again.status is ImportStatus.PREVIEWED  # refused, nothing queued


def test_ids_typed_as_numbers_keep_the_zeros_the_sheet_shows(tmp_path: Path) -> None:
    rollout = RolloutFactory()
    book = Workbook()
    sheet = book.active
    sheet.append(["Personnel number", "Full name", "Email", "Line manager"])
    sheet.append([417, "Greta Boss", "greta@example.com", None])
    sheet.append([418.0, "Anna Müller", "anna@example.com", 417])
    for row in (2, 3):
        sheet.cell(row, 1).number_format = "000000"
    sheet.cell(3, 4).number_format = "000000"
    path = tmp_path / "export.xlsx"
    book.save(path)
    outcome = _import(path, rollout)
    assert outcome.counts["errors"] == 0, outcome.issues
    people = _people()
    assert set(people) == {"000417", "000418"}
    assert people["000418"].manager_id == people["000417"].id
