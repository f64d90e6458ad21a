"""The free-rider review in Chromium: the evidence per candidate, riskiest first, the date
of the progress data at the top; axe-core clean (issue 24 item 4)."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth.models import Role
from app.extensions import db
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import staff
from tests.terms.test_review_evidence import evidence_course

pytestmark = pytest.mark.browser

LEAD = "Lena Lead"


def test_the_review_shows_the_evidence_riskiest_first(page: Any, steps: Any) -> None:
    evidence_course()
    staff(Role.LOCAL_LEAD, "de", name=LEAD)
    db.session.commit()
    sign_in(page, LEAD)
    page.set_viewport_size({"width": 1440, "height": 1000})
    page.goto("/r/de/rollouts/sef-test/terms/1/review")
    page.get_by_text("Progress as of").wait_for()
    ben = page.get_by_role("row").filter(has_text="Ben Okafor")
    assert "8 / 9" in ben.inner_text() and "0 / 2" in ben.inner_text()
    first = page.locator("table.data[data-review-evidence] tbody tr").first
    assert "Dev Patel" in first.inner_text()
    steps.shot("review-evidence")
    assert axe_violations(page, impact=("minor", "moderate", "serious", "critical")) == []
    page.get_by_role("link", name="Learner").click()
    page.wait_for_url("**sort=name**")
    first = page.locator("table.data[data-review-evidence] tbody tr").first
    assert "Ben Okafor" in first.inner_text()
