"""Files a lead uploads by mistake are refused as a whole, saying what the file is and
what to upload instead; nothing is applied and the import does not stay pending."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.people.models import Person
from app.roster.models import ImportStatus, RosterImport
from tests.factories import RolloutFactory, staff

#: the first bytes of a PDF as every PDF writer starts it (ISO 32000-1, 7.5.2 "File Header")
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n%%EOF\n"


def _token(client, path: str) -> str:  # type: ignore[no-untyped-def]
    g.pop("csrf_token", None)
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _upload(client, run_jobs, data: bytes, name: str) -> RosterImport:  # type: ignore[no-untyped-def]
    path = "/r/de/rollouts/sef-de/roster"
    response = client.post(
        path,
        data={"csrf_token": _token(client, path), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    run_jobs()
    imp = db.session.scalars(select(RosterImport)).one()
    db.session.expire_all()
    return imp


def test_a_pdf_renamed_xlsx_is_refused_as_a_pdf(client, login_as, run_jobs) -> None:  # type: ignore[no-untyped-def]
    """On main: "missing an employee id column... Headers found: '%PDF-1.7'"."""
    RolloutFactory(slug="sef-de")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    imp = _upload(client, run_jobs, PDF, "roster.xlsx")
    assert imp.status is ImportStatus.REFUSED
    assert "PDF" in imp.message and ".xlsx" in imp.message
    page = client.get(f"/r/de/rollouts/sef-de/roster/{imp.id}")
    assert page.status_code == 200 and "PDF document" in page.get_data(as_text=True)
    assert imp.stored_path is None


def test_a_file_with_only_the_header_row_is_refused(client, login_as, run_jobs) -> None:  # type: ignore[no-untyped-def]
    """On main: previewed as "0 new" and offered for confirmation; applied, it would
    flag every enrolled person as missing from the file."""
    RolloutFactory(slug="sef-de")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    data = b"Employee ID,Email,Name,Manager email\r\n\r\n,,,\r\n"
    imp = _upload(client, run_jobs, data, "roster.csv")
    assert imp.status is ImportStatus.REFUSED, imp.status
    assert "no people" in imp.message
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0


def test_the_cli_refuses_a_header_only_workbook(runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    RolloutFactory(slug="sef-de")
    db.session.commit()
    book = Workbook()
    book.active.append(["Personnel number", "First name", "Last name", "Email"])
    book.active.append(["Total", None, None, 0])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    result = runner.invoke(args=["roster", "import", str(path), "--rollout", "sef-de"])
    assert result.exit_code != 0 and "no people" in result.output


MOODLE = Path(__file__).parents[1] / "progress" / "fixtures" / "moodle_completion_de.csv"


@pytest.mark.parametrize(
    ("data", "name", "lang", "says"),
    [
        (PDF, "roster.xlsx", "de", "Diese Datei ist ein PDF-Dokument, keine Mitarbeiterliste"),
        (PDF, "roster.xlsx", "fr", "Ce fichier est un document PDF, pas une liste"),
        (b"Matricule;Nom complet;Courriel\r\n;;\r\n", "liste.csv", "fr", "ne contient personne"),
        (b"PK\x03\x04" + bytes(60), "roster.xlsx", "de", "lässt sich nicht öffnen"),
        (MOODLE.read_bytes(), "Kursabschluss.csv", "de", "eine Spalte mit der Personalnummer"),
        (PDF, "roster.xlsx", "en", "This file is a PDF document, not a roster"),
    ],
)
def test_a_refused_file_is_explained_in_the_leads_language(  # type: ignore[no-untyped-def]
    client, login_as, run_jobs, data, name, lang, says
) -> None:
    """On main the whole-file refusal was in English whatever the lead's language."""
    RolloutFactory(slug="sef-de")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    imp = _upload(client, run_jobs, data, name)
    assert imp.status is ImportStatus.REFUSED
    page = client.get(
        f"/r/de/rollouts/sef-de/roster/{imp.id}", headers={"Accept-Language": lang}
    ).get_data(as_text=True)
    assert says in html.unescape(page), page
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0
