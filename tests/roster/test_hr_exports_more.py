"""More HR export shapes (``fixtures/hr_exports``, sources in its README): Lucca's user
file (cp1252, semicolons, the top person as their own manager), a Personio payroll
export saved by German Excel (cp1252, semicolons, "Nachname, Vorname" supervisors), a
Personio export in English as a workbook (title rows, a hidden sheet, numbers, a totals
row) and an Oracle HCM employee view whose ids need the lead's mapping."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select

from app.extensions import db
from app.people.models import Person
from tests.factories import RolloutFactory

EXPORTS = Path(__file__).parent / "fixtures" / "hr_exports"


def _people() -> dict[str, Person]:
    return {p.employee_id: p for p in db.session.scalars(select(Person))}


def _manager(people: dict[str, Person], who: str) -> str | None:
    manager_id = people[who].manager_id
    return next((k for k, p in people.items() if p.id == manager_id), None)


def _import(runner, path: Path, *extra: str, rollout: bool = True):  # type: ignore[no-untyped-def]
    if rollout:
        RolloutFactory(slug="sef-fr")
        db.session.commit()
    args = ["roster", "import", str(path), "--rollout", "sef-fr", *extra]
    dry = runner.invoke(args=[*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert not _people()  # a dry run writes nobody
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    return result


def test_lucca_user_file_with_its_culture_column(runner) -> None:  # type: ignore[no-untyped-def]
    """On main the ``culture`` column (Lucca's display language) was ignored."""
    result = _import(runner, EXPORTS / "lucca_user_import_fr.csv")
    people = _people()
    assert set(people) == {"0042", "0057", "0063", "0071", "directrice.commerciale@example.fr"}
    assert _manager(people, "0042") is None  # "manager = the person themselves": the top
    assert _manager(people, "0057") == "0042"  # by email, in other case
    assert _manager(people, "0063") == "0057"
    assert _manager(people, "0071") == "directrice.commerciale@example.fr"  # created
    assert people["0042"].name == "Hélène Roux"  # cp1252 read as such
    assert (people["0042"].locale, people["0063"].locale) == ("fr_FR", "en_GB")
    assert "line 6, employeenumber: duplicate employee id (first on line 4)" in result.output


def test_personio_payroll_export_from_german_excel(runner) -> None:  # type: ignore[no-untyped-def]
    _import(runner, EXPORTS / "personio_lohn_export_de_cp1252.csv")
    people = _people()
    assert people["1003"].name == "Aylin Özdemir"
    expected = {"1001": None, "1002": "1001", "1003": "1002", "1004": "1002", "1005": "1001"}
    assert {who: _manager(people, who) for who in expected} == expected


def test_personio_english_workbook_with_title_hidden_sheet_and_totals(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    book = Workbook()
    lookup = book.active
    lookup.title = "Lookup"
    lookup.append(["Employee ID", "Email", "Name"])
    lookup.append(["999", "ghost@example.com", "Ghost"])
    lookup.sheet_state = "hidden"
    sheet = book.create_sheet("Employees")
    sheet.append(["Personio export Employees 2026-11-30"])
    sheet.append([])
    header = ["Personnel number", "First name", "Last name", "Email", "Department"]
    sheet.append([*header, "Position", "Supervisor", "Cost center"])
    sheet.append([101, "Grace", "Hopper", "grace.hopper@example.com", "Board", "CEO", None, 1000])
    sheet.append([102, "Alan", "Turing", "alan.turing@example.com", "R&D", "Lead"])
    sheet.cell(row=5, column=7, value="Grace Hopper")
    sheet.append([103, "Ada", "Lovelace", "ada.lovelace@example.com", "R&D", "Dev", "Turing, Alan"])
    sheet.append(["Total", None, None, 3])
    path = tmp_path / "Personio export Employees.xlsx"
    book.save(path)
    result = _import(runner, path)
    people = _people()
    assert set(people) == {"101", "102", "103"}, result.output
    assert [_manager(people, w) for w in ("101", "102", "103")] == [None, "101", "102"]
    assert "with errors" in result.output and "0 with errors" in result.output


def test_oracle_hcm_view_needs_the_person_id_named(runner) -> None:  # type: ignore[no-untyped-def]
    """SUPERVISOR_ID holds the manager's PERSON_ID: with that mapped, the tree holds."""
    RolloutFactory(slug="sef-fr")
    db.session.commit()
    path = str(EXPORTS / "oracle_hcm_per_employees_x.txt")
    refused = runner.invoke(args=["roster", "import", path, "--rollout", "sef-fr"])
    assert refused.exit_code != 0 and "employee id column" in refused.output
    assert "WORKER_NUMBER" in refused.output and "--map" in refused.output
    _import(
        runner,
        EXPORTS / "oracle_hcm_per_employees_x.txt",
        "--map",
        "employee_id=PERSON_ID",
        rollout=False,
    )
    people = _people()
    assert _manager(people, "300000047110003") == "300000047110002"
    assert people["300000047110004"].name == "Aoife Byrne"


def test_adp_workforce_now_custom_report_run_as_excel(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """On main ``Associate ID`` was not read as the employee id: the file was refused."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Employee Data"
    sheet.append(["First Name", "Last Name", "Job Title", "Business Email", "Associate ID"])
    sheet.cell(row=1, column=6, value="Reports To Associate ID")
    sheet.append(["Rosa", "Diaz", "VP Sales", "rosa.diaz@example.com", "K7Q2M4P9X"])
    sheet.append(["Amy", "Santiago", "Sales Lead", "amy.santiago@example.com", "F3L8N1R6C"])
    sheet.cell(row=3, column=6, value="K7Q2M4P9X")
    sheet.append(["Gina", "Linetti", "Rep", "gina.linetti@example.com", "Z9W4T2B5H", "F3L8N1R6C"])
    path = tmp_path / "Employee Data.xlsx"
    book.save(path)
    _import(runner, path)
    people = _people()
    assert set(people) == {"K7Q2M4P9X", "F3L8N1R6C", "Z9W4T2B5H"}
    assert _manager(people, "F3L8N1R6C") == "K7Q2M4P9X"
    assert people["Z9W4T2B5H"].name == "Gina Linetti"
