"""The learner list and the person page in Chromium: search by a name's prefix, open the
person, read their journey; axe-core finds nothing serious (issue 24 item 5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.auth.models import Role
from app.extensions import db
from app.rollouts.models import EnrollmentState, RolloutStatus
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, staff

pytestmark = pytest.mark.browser

SENT = datetime(2026, 9, 1, 8, tzinfo=UTC)


def test_search_a_learner_and_open_their_page(page: Any, steps: Any) -> None:
    rollout = RolloutFactory(slug="sef-de", status=RolloutStatus.LAUNCHED, launched_at=SENT)
    boss = PersonFactory(name="Mia Manager")
    EnrollmentFactory(
        rollout=rollout,
        person__name="Anna Árpád",
        person__manager=boss,
        state=EnrollmentState.COMMITTED,
        invited_at=SENT,
        committed_at=SENT,
        goal="Lead the data migration",
        buddy_group=3,
    )
    EnrollmentFactory(rollout=rollout, person__name="Ben Annecy", buddy_group=3, invited_at=SENT)
    EnrollmentFactory(rollout=rollout, person__name="Chen Wu", invited_at=SENT)
    staff(Role.LOCAL_LEAD, "de", name="Lena Lead")
    db.session.commit()
    sign_in(page, "Lena Lead")
    page.goto("/r/de/rollouts/sef-de/learners")
    page.get_by_label("Search").fill("ann")
    page.get_by_role("button", name="Filter").click()
    page.get_by_text("2 learners").wait_for()
    assert page.get_by_role("link", name="Chen Wu").count() == 0
    # the search box is one line high, beside the filters (it once grew 14rem downwards)
    box = page.get_by_label("Search").bounding_box()
    filters = page.get_by_label("State").bounding_box()
    assert box["height"] < 60 and abs(box["y"] - filters["y"]) < 30
    steps.shot("search")
    assert axe_violations(page, impact=("minor", "moderate", "serious", "critical")) == []
    page.get_by_role("link", name="Anna Árpád").click()
    page.get_by_role("heading", name="Journey").wait_for()
    page.get_by_text("Lead the data migration").wait_for()
    page.get_by_text("Group 1: Ben Annecy").wait_for()
    steps.shot("person-page")
    assert axe_violations(page, impact=("minor", "moderate", "serious", "critical")) == []
