"""Another platform's CSV in the browser: its columns shown and guessed, the lead confirms;
an unmatched unit placed from the import page and the file applied again."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.progress.models import ModuleProgress
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import staff
from tests.progress.helpers import FIXTURES, make_course

pytestmark = pytest.mark.browser


def upload(page: Any, slug: str, name: str) -> None:
    page.goto(f"/r/de/rollouts/{slug}/progress")
    page.locator("#file").set_input_files(str(FIXTURES / name))
    page.get_by_role("button", name="Upload and import").click()


def test_columns_confirmed_then_a_unit_mapped_and_applied_again(
    page: Any, run_jobs: Any, steps: Any
):
    course = make_course()
    staff(Role.LOCAL_LEAD, "de", name="Lena Lead")
    db.session.commit()
    sign_in(page, "Lena Lead")

    upload(page, course.rollout.slug, "coursera_module_progress.csv")
    page.get_by_role("heading", name="Which column is which").wait_for()
    assert page.get_by_label("Module (its values are matched to module titles)").input_value() == (
        "Module Name"
    )
    assert axe_violations(page) == []
    steps.shot("columns")
    page.get_by_role("button", name="Confirm the columns and import").click()
    run_jobs()
    page.get_by_text("Imported:", exact=False).first.wait_for(timeout=30_000)

    upload(page, course.rollout.slug, "moodle_completion_de.csv")
    run_jobs()
    page.get_by_text("Imported:", exact=False).first.wait_for(timeout=30_000)
    page.reload()
    page.get_by_label("Module for Ereignisgesteuertes Design").select_option(
        label="Event-driven design"
    )
    assert axe_violations(page) == []
    steps.shot("unit-mapping")
    page.get_by_role("button", name="Save the mapping and apply the file again").click()
    run_jobs()
    page.get_by_text("Imported:", exact=False).first.wait_for(timeout=30_000)
    db.session.expire_all()
    m2 = course.module("m2")
    assert (
        db.session.scalars(
            select(ModuleProgress).where(
                ModuleProgress.module_id == m2.id,
                ModuleProgress.enrollment_id == course.enrollments["chloe"].id,
            )
        )
        .one()
        .completed
    )
