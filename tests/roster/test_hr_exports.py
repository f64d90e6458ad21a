"""Real HR export shapes (``fixtures/hr_exports``, sources in its README) import their
people through the CLI and the web page: who was imported, who was refused and why."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from flask import g
from openpyxl import Workbook
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.people.models import Person
from app.rollouts.models import Enrollment
from app.roster.models import ImportStatus, RosterImport, RosterImportIssue
from tests.factories import PersonFactory, RolloutFactory, staff

EXPORTS = Path(__file__).parent / "fixtures" / "hr_exports"

#: file → (people imported, {line: (column, reason starts with)}, managers {who: manager},
#: extra CLI arguments)
CASES: dict[str, tuple[set[str], dict[int, tuple[str, str]], dict[str, str | None], list]] = {
    "workday_worker_data_report.csv": (
        {"21001", "21002", "21003", "21004"},
        {6: ("Email", "invalid email")},
        {"21001": None, "21003": "21002", "21004": "21002"},
        [],
    ),
    "successfactors_user_data_file.csv": (
        {"cgrant", "mhoff", "aweber"},
        {6: ("TIMEZONE", "unknown time zone")},
        {"cgrant": None, "mhoff": "cgrant", "aweber": "mhoff"},
        [],
    ),
    "personio_export_de.csv": (
        {"1", "2", "3", "4"},
        {6: ("Vorgesetzte:r", "unknown manager")},
        {"1": None, "2": "1", "3": "2", "4": "2"},
        [],
    ),
    "bamboohr_custom_report.csv": (
        {"0001", "0002", "0003", "0004", "claire.moreau@example.com"},
        {},
        {"0002": "0001", "0003": "0002", "0004": "claire.moreau@example.com"},
        [],
    ),
    "hibob_people_report.csv": (
        {"B-10", "B-11", "B-12"},
        {5: ("Email", "missing email")},
        {"B-10": None, "B-11": "B-10", "B-12": "B-11"},
        [],
    ),
    "entra_download_users.csv": (
        {"87d349ed-44d7-43e1-9a83-5f2406dee5bd", "6e7b768e-07e2-4810-8459-485f84f8f204"},
        {4: ("mail", "missing email")},
        {"87d349ed-44d7-43e1-9a83-5f2406dee5bd": None},
        ["--map", "employee_id=objectId"],
    ),
    "lucca_user_import_fr.csv": (
        {"0042", "0057", "0063", "0071", "directrice.commerciale@example.fr"},
        {6: ("employeenumber", "duplicate employee id")},
        {"0042": None, "0057": "0042", "0071": "directrice.commerciale@example.fr"},
        [],
    ),
    "personio_lohn_export_de_cp1252.csv": (
        {"1001", "1002", "1003", "1004", "1005"},
        {},
        {"1001": None, "1002": "1001", "1003": "1002", "1004": "1002", "1005": "1001"},
        [],
    ),
    "excel_unicode_text_fr.txt": (
        {"000417", "000523", "000611", "000702", "C-1"},
        {},
        {"000417": None, "000523": "000417", "000611": "000417", "000702": "C-1"},
        [],
    ),
}


def _check(name: str, issues: dict[int, tuple[str, str]]) -> None:
    people, refused, managers, _ = CASES[name]
    by_id = {p.employee_id: p for p in db.session.scalars(select(Person))}
    assert set(by_id) == people, name
    for who, manager in managers.items():
        expected = by_id[manager].id if manager else None
        assert by_id[who].manager_id == expected, (name, who)
    assert set(issues) == set(refused), (name, issues)
    for line, (column, reason) in refused.items():
        assert issues[line][0] == column and issues[line][1].startswith(reason), (name, line)


def _known_chef(name: str) -> None:
    """The French file names a manager Summit knows already, by email in capitals."""
    if name == "excel_unicode_text_fr.txt":
        PersonFactory(employee_id="C-1", email="chef@example.fr", name="Chef Connu")
    db.session.commit()


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_export_through_the_cli(runner, name: str) -> None:  # type: ignore[no-untyped-def]
    RolloutFactory(slug="sef-de")
    _known_chef(name)
    args = ["roster", "import", str(EXPORTS / name), "--rollout", "sef-de", *CASES[name][3]]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    issues = {
        int(m[1]): (m[2], m[3])
        for m in re.finditer(r"^  line (\d+), (.+?): (.+)$", result.output, re.MULTILINE)
    }
    _check(name, issues)


def test_entra_without_an_id_column_is_refused_with_what_to_do(runner) -> None:  # type: ignore[no-untyped-def]
    RolloutFactory(slug="sef-de")
    db.session.commit()
    path = str(EXPORTS / "entra_download_users.csv")
    result = runner.invoke(args=["roster", "import", path, "--rollout", "sef-de"])
    assert result.exit_code != 0 and "employee id column" in result.output
    assert "--map" in result.output


def _token(client, path: str) -> str:  # type: ignore[no-untyped-def]
    g.pop("csrf_token", None)
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _as_xlsx(name: str) -> bytes:
    """The same rows as a workbook (numbers where the cell holds a number, as Excel does)."""
    text = (EXPORTS / name).read_bytes().decode("utf-8-sig")
    delimiter = ";" if text.count(";") > text.count(",") else ","
    book = Workbook()
    sheet = book.active
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        sheet.append([int(c) if c.isdigit() and not c.startswith("0") else c for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "as_xlsx"),
    [(n, False) for n in sorted(CASES) if not CASES[n][3]]
    + [("workday_worker_data_report.csv", True), ("personio_export_de.csv", True)],
)
def test_each_export_through_the_web_page(client, login_as, run_jobs, name, as_xlsx) -> None:  # type: ignore[no-untyped-def]
    RolloutFactory(slug="sef-de")
    _known_chef(name)
    login_as(staff(Role.LOCAL_LEAD, "de"))
    data = _as_xlsx(name) if as_xlsx else (EXPORTS / name).read_bytes()
    upload = name.rsplit(".", 1)[0] + ".xlsx" if as_xlsx else name
    path = "/r/de/rollouts/sef-de/roster"
    response = client.post(
        path,
        data={"csrf_token": _token(client, path), "file": (io.BytesIO(data), upload)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    run_jobs()
    imp = db.session.scalars(select(RosterImport)).one()
    base = f"/r/de/rollouts/sef-de/roster/{imp.id}"
    client.post(base + "/confirm", data={"csrf_token": _token(client, base)})
    run_jobs()
    db.session.expire_all()
    assert imp.status is ImportStatus.APPLIED, imp.message
    issues = {
        i.line: (i.column, i.reason)
        for i in db.session.scalars(select(RosterImportIssue).where(RosterImportIssue.refused))
    }
    _check(name, issues)
    learners = {e.person.employee_id for e in db.session.scalars(select(Enrollment))}
    assert learners <= CASES[name][0]


def test_a_saved_mapping_is_used_for_the_next_file_with_those_headers(runner) -> None:  # type: ignore[no-untyped-def]
    RolloutFactory(slug="sef-de")
    db.session.commit()
    path = str(EXPORTS / "entra_download_users.csv")
    base = ["roster", "import", path, "--rollout", "sef-de"]
    saved = runner.invoke(args=[*base, "--dry-run", "--map", "employee_id=objectId", "--save-map"])
    assert saved.exit_code == 0, saved.output
    db.session.commit()  # a dry run writes no person; the mapping is saved by --save-map
    again = runner.invoke(args=base)
    assert again.exit_code == 0, again.output
    assert "2 new" in again.output
    bad = runner.invoke(args=[*base, "--map", "salary=objectId"])
    assert bad.exit_code != 0 and "field among" in bad.output
