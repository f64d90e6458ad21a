"""Long jobs started from the UI show a bar that moves without a reload and survives one."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.auth.models import DirectoryImport, ImportStatus, Role
from app.extensions import db
from tests.browser.conftest import sign_in
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region, staff

pytestmark = pytest.mark.browser


def csv_file(name: str, text: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode()}


def test_a_progress_import_bar_survives_a_refresh_and_ends_by_itself(page, run_jobs):
    rollout = RolloutFactory(region_id=region("de").id, slug="bars")
    EnrollmentFactory(rollout=rollout, person=PersonFactory(employee_id="B1"))
    staff(Role.LOCAL_LEAD, "de", name="Lena Lead")
    db.session.commit()
    sign_in(page, "Lena Lead")
    page.goto("/r/de/rollouts/bars/progress")
    page.locator("#file").set_input_files(
        files=[
            csv_file(
                "p.csv",
                "employee_id,email,module,percent,completed,observed_at\n"
                "B1,,m1,100,true,2026-10-01T09:00:00Z\n",
            )
        ]
    )
    page.get_by_label("Format", exact=True).select_option("summit")
    page.get_by_role("button", name="Upload and import").click()
    bar = page.locator("progress#import-progress")
    bar.wait_for()
    page.reload()  # no worker yet: the bar is still there after a refresh
    bar.wait_for()
    run_jobs()  # the worker runs; the page notices by itself
    page.get_by_text("Imported: 1 module results applied").wait_for()
    assert bar.count() == 0


def test_a_roster_import_bar_survives_a_refresh_and_ends_by_itself(page, run_jobs):
    RolloutFactory(region_id=region("de").id, slug="roster-bars")
    staff(Role.LOCAL_LEAD, "de", name="Lena Lead")
    db.session.commit()
    sign_in(page, "Lena Lead")
    page.goto("/r/de/rollouts/roster-bars/roster")
    page.locator("#file").set_input_files(
        files=[
            csv_file(
                "roster.csv",
                "Employee ID,Email,Name,Manager\nR1,r1@example.com,Rita One,\n",
            )
        ]
    )
    page.get_by_role("button", name="Upload and preview").click()
    page.locator("#import-bar").wait_for()
    page.reload()
    page.locator("#import-bar").wait_for()
    run_jobs()
    page.get_by_role("button", name="Confirm: apply exactly this").wait_for()
    assert page.locator("#import-progress").is_hidden()


def test_the_directory_sync_bar_moves_without_a_reload(page):
    admin = staff(Role.GLOBAL_ADMIN, name="Ada Admin")
    run = DirectoryImport(
        status=ImportStatus.RUNNING, requested_by_id=admin.id, region_attribute="country"
    )
    db.session.add(run)
    db.session.commit()
    sign_in(page, "Ada Admin")
    page.goto("/auth/entra/directory")
    page.locator("progress#directory-progress").wait_for()
    page.evaluate("window.stayedOnPage = true")
    run.seen, run.pages = 1200, 12
    db.session.commit()
    page.get_by_text("1,200 people read from 12 pages").wait_for()
    assert page.evaluate("window.stayedOnPage") is True  # moved without a reload
    page.reload()
    page.locator("progress#directory-progress").wait_for()
    run.status = ImportStatus.DONE
    db.session.commit()
    page.locator("progress#directory-progress").wait_for(state="detached")
    assert page.get_by_role("cell", name="done").count() == 1


def test_a_report_build_bar_survives_a_refresh_and_ends_by_itself(page, run_jobs):
    from app.rollouts.models import RolloutStatus

    RolloutFactory(region_id=region("de").id, status=RolloutStatus.LAUNCHED)
    staff(Role.LOCAL_LEAD, "de", name="Lena Lead")
    db.session.commit()
    sign_in(page, "Lena Lead")
    page.goto("/r/de/reports/")
    page.get_by_text("No report yet").wait_for()
    page.get_by_role("button", name=re.compile("^Build the report of")).click()
    page.locator("progress#build-progress").wait_for()
    page.reload()
    page.locator("progress#build-progress").wait_for()
    run_jobs()
    page.locator("progress#build-progress").wait_for(state="detached")
    assert page.get_by_role("cell", name="not sent").count() == 1
    # a sponsor reads the archive but may not start a build
    staff(Role.SPONSOR, "de", name="Sam Sponsor")
    db.session.commit()
    sign_in(page, "Sam Sponsor")
    page.goto("/r/de/reports/")
    assert page.get_by_role("button", name=re.compile("^Build the report")).count() == 0
