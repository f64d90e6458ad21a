"""The program form in Chromium: terms and modules as rows with date pickers, a row added
without leaving the form, errors next to their field, the saved titles on the program
page, and axe-core clean at every step."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.programs.models import Program
from tests.browser.conftest import axe_violations, sign_in
from tests.browser.test_journey import fill_modules, fill_terms
from tests.factories import region, staff

pytestmark = pytest.mark.browser


def test_a_program_is_entered_as_rows_and_its_term_titles_are_shown(page: Any, steps: Any) -> None:
    staff(Role.GLOBAL_ADMIN, name="Ada Global")
    region("de")
    db.session.commit()
    sign_in(page, "Ada Global")
    page.goto("/programs/new")
    assert page.locator("#term-0-starts_on").get_attribute("type") == "date"
    assert axe_violations(page) == []
    page.get_by_label("Title", exact=True).fill("Cloud Rows")
    page.locator("#slug").fill("cloud-rows")
    page.locator("#provider").fill("Open edX")
    page.get_by_label("Course link", exact=True).fill("https://courses.example.com/rows")
    # two terms: the second row comes from "add another term row" (the form keeps the first)
    fill_terms(
        page, [("Base camp", "2027-01-11", "2027-02-07"), ("Summit", "2027-02-01", "2027-03-07")]
    )
    fill_modules(
        page,
        [
            ("m1", "Foundations", "3", "Base camp"),
            ("m2", "Design", "2", "Base camp"),
            ("m3", "Delivery", "4", "Summit"),
        ],
    )
    page.get_by_role("button", name="Save the program").click()
    # the second term overlaps the first: said next to its start, nothing saved
    page.get_by_role("alert").wait_for()
    start = page.locator("#term-1-starts_on")
    assert start.get_attribute("aria-invalid") == "true"
    described = start.get_attribute("aria-describedby").split()
    assert "without overlapping" in page.locator(f"#{described[0]}").text_content()
    assert db.session.scalars(select(Program)).first() is None
    assert axe_violations(page) == []
    steps.shot("program-form-errors")

    start.fill("2027-02-08")
    page.get_by_role("button", name="Save the program").click()
    page.get_by_text("Program saved.").wait_for()
    assert page.get_by_text("Base camp:").count() == 1 and page.get_by_text("Summit:").count() == 1
    assert page.get_by_role("link", name="Adopt it in Germany").count() == 1
    assert axe_violations(page) == []
    steps.shot("program-page")
    program = db.session.scalars(select(Program).where(Program.slug == "cloud-rows")).one()
    assert [t.title for t in program.terms] == ["Base camp", "Summit"]
    assert [m.key for m in program.terms[0].required_modules] == ["m1", "m2"]
