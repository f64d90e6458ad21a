"""A lead uploads an HR system's .xlsx through the web page, names a column Summit did not
recognise with a drop-down, and sees the people imported."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.people.models import Person
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import RolloutFactory, region, staff

pytestmark = pytest.mark.browser
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook() -> bytes:
    book = Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["Exported from HR on 1 December; confidential"])
    hidden = book.create_sheet("Old")
    hidden.sheet_state = "hidden"
    hidden.append(["Employee ID", "Name", "Email"])
    hidden.append(["X-9", "Not Me", "x9@example.com"])
    staff_sheet = book.create_sheet("Staff")
    staff_sheet.append(["Personalnummer", "Vorname", "Nachname", "E-Mail", "Chef"])
    staff_sheet.append(["000101", "Greta", "Boss", "greta.boss@example.com", None])
    staff_sheet.append([102, "Anna", "Müller", "Anna.Mueller@Example.com", "000101"])
    staff_sheet.append([103, "Jonas", "Weber", "jonas.weber@example.com", "000101"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_upload_is_mapped_and_imported(page, run_jobs, steps):
    RolloutFactory(region_id=region("de").id, slug="xlsx-de")
    staff(Role.LOCAL_LEAD, "de", name="Lena Lead")
    db.session.commit()
    sign_in(page, "Lena Lead")
    page.goto("/r/de/rollouts/xlsx-de/roster")
    page.locator("#file").set_input_files(
        files=[{"name": "HR Export.xlsx", "mimeType": XLSX, "buffer": _workbook()}]
    )
    page.get_by_role("button", name="Upload and preview").click()
    page.locator("#import-bar").wait_for()
    run_jobs()
    page.get_by_role("button", name="Confirm: apply exactly this").wait_for()
    steps.shot("preview")
    # Summit found the "Staff" sheet (the hidden one is never offered) but not "Chef"
    assert page.locator("#sheet option").all_inner_texts() == ["Notes", "Staff"]
    assert page.locator("#sheet").input_value() == "Staff"
    assert page.locator("#map-manager").input_value() == ""
    assert axe_violations(page) == []
    page.locator("#map-manager").select_option("Chef")
    page.get_by_role("button", name="Preview again with these columns").click()
    run_jobs()
    page.get_by_role("button", name="Confirm: apply exactly this").wait_for()
    assert page.locator("#map-manager").input_value() == "Chef"
    steps.shot("preview-with-manager")
    page.get_by_role("button", name="Confirm: apply exactly this").click()
    run_jobs()
    page.get_by_role("heading", name="Applied").wait_for()
    steps.shot("applied")
    people = {p.employee_id: p for p in db.session.scalars(select(Person))}
    assert set(people) == {"000101", "102", "103"}
    assert people["102"].manager_id == people["000101"].id
    assert people["102"].email == "anna.mueller@example.com"
