"""The attendance page in Chromium (issue 24): select all / clear all, a search over the
names, and the count of those marked, with axe-core clean."""

from __future__ import annotations

from typing import Any

import pytest

from app.calls import services
from app.extensions import db
from tests.browser.conftest import axe_violations, sign_in
from tests.calls.helpers import learner, make_rollout

pytestmark = pytest.mark.browser


def test_select_all_search_and_count_on_the_attendance_page(page: Any, steps: Any) -> None:
    rollout = make_rollout("de", slug="attendance-page")
    for i in range(30):
        learner(rollout, name=f"Learner {i:02d} Berg", email=f"l{i:02d}@example.com")
    learner(rollout, name="Zoe Quist", email="zoe@example.com")
    services.generate_series(region=rollout.region, rollout=rollout, notify=False)
    session = services.sessions_of(rollout.id)[0]
    db.session.commit()
    sign_in(page, "Expert de")
    page.goto(f"/r/de/rollouts/attendance-page/calls/{session.id}")
    count = page.locator("[data-attendance-count]")
    assert count.inner_text() == "0"
    page.get_by_role("link", name="Select all").click()
    assert page.url.endswith(f"/calls/{session.id}")  # JavaScript did it in place
    assert count.inner_text() == "31"
    assert page.get_by_role("checkbox", checked=True).count() == 31
    page.get_by_label("Find a learner").fill("quist")
    assert page.get_by_role("checkbox").count() == 1  # the others are hidden
    page.get_by_role("link", name="Clear all").click()  # only the learner shown
    assert count.inner_text() == "30"
    assert not page.get_by_label("Zoe Quist").is_checked()
    steps.shot("search-and-clear")
    assert axe_violations(page) == []
    page.get_by_label("Find a learner").fill("")
    page.get_by_role("button", name="Save attendance").click()
    page.get_by_text("Attendance saved: 30 present.").wait_for()
    assert page.locator("[data-attendance-count]").inner_text() == "30"
    assert axe_violations(page) == []
