"""Closing a rollout and confirming a free rider in Chromium: each asks first (saying what
it will do and to whom), nothing is emailed before the confirmation, and each can be
undone — the rollout reopened, the confirmation withdrawn before its emails leave
(issue 24)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.mail.models import OutboundEmail
from app.rollouts.models import EnrollmentState, RolloutStatus
from app.terms.models import Verdict
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import staff
from tests.terms.test_review import closed_course, review_of

pytestmark = pytest.mark.browser

LEAD = "Lena Lead"


def outbox() -> list[OutboundEmail]:
    db.session.rollback()  # see what the server committed
    return list(db.session.scalars(select(OutboundEmail)))


def test_confirming_a_free_rider_asks_first_and_can_be_withdrawn(
    page: Any, steps: Any, run_jobs: Any, smtp_sink: Any
) -> None:
    course = closed_course()
    staff(Role.LOCAL_LEAD, "de", name=LEAD)
    db.session.commit()
    sign_in(page, LEAD)
    page.goto("/r/de/rollouts/sef-test/terms/1/review")
    row = page.get_by_role("row").filter(has_text="Dev Patel")
    row.get_by_role("link", name="Confirm free rider…").click()
    page.get_by_role("heading", name="Confirm Dev Patel as a free rider?").wait_for()
    page.get_by_text("Dev Patel receives an email in German.").wait_for()
    page.get_by_text("Their manager, Maria Manager, receives an email in German.").wait_for()
    steps.shot("asks-first")
    assert axe_violations(page, impact=("minor", "moderate", "serious", "critical")) == []
    assert outbox() == []  # the first click only asked
    page.get_by_label("Reason").fill("No module done and no answer to two nudges")
    page.get_by_role("button", name="Confirm free rider").click()
    page.get_by_role("button", name="Withdraw the confirmation").wait_for()
    steps.shot("confirmed-with-undo")
    held = outbox()
    assert len(held) == 2
    assert all(m.next_attempt_at > datetime.now(UTC) + timedelta(minutes=9) for m in held)
    run_jobs()
    assert smtp_sink.messages == []  # held for the grace period
    page.get_by_role("button", name="Withdraw the confirmation").click()
    page.get_by_text("Confirmation withdrawn").wait_for()
    steps.shot("withdrawn")
    assert outbox() == []
    assert review_of(course, "dev").verdict is Verdict.FREE_RIDER_CANDIDATE
    assert course.enrollments["dev"].state is EnrollmentState.TIME_APPROVED
    run_jobs()
    assert smtp_sink.messages == []


def test_closing_a_rollout_asks_first_emails_nobody_and_can_be_reopened(
    page: Any, steps: Any, run_jobs: Any, smtp_sink: Any
) -> None:
    course = closed_course()
    staff(Role.LOCAL_LEAD, "de", name=LEAD)
    db.session.commit()
    sign_in(page, LEAD)
    page.goto("/r/de/rollouts/sef-test")
    page.get_by_role("link", name="Close the rollout…").click()
    page.get_by_role("heading", name=f"Close {course.rollout.program.title}?").wait_for()
    page.get_by_text("Nobody is emailed about the closing.").wait_for()
    steps.shot("asks-first")
    assert axe_violations(page, impact=("minor", "moderate", "serious", "critical")) == []
    db.session.rollback()
    assert course.rollout.status is RolloutStatus.LAUNCHED
    page.get_by_label("Reason").fill("The program ended early")
    page.get_by_role("button", name="Close the rollout").click()
    page.get_by_role("link", name="Reopen the rollout…").click()
    page.get_by_text("Nobody already invited is invited again.").wait_for()
    steps.shot("reopen-asks")
    db.session.rollback()
    assert course.rollout.status is RolloutStatus.CLOSED
    page.get_by_role("button", name="Reopen the rollout").click()
    page.get_by_role("link", name="Close the rollout…").wait_for()
    steps.shot("reopened")
    db.session.rollback()
    assert course.rollout.status is RolloutStatus.LAUNCHED
    run_jobs()
    assert outbox() == [] and smtp_sink.messages == []


def test_a_draft_guides_to_its_launch(page: Any, steps: Any) -> None:
    """The draft checklist with a roster imported and one required step missing, then the
    launch page it leads to once done: what it sends, to whom, in which languages."""
    from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory

    rollout = RolloutFactory(slug="draft-de", sponsor_message="This matters to all of us.")
    for locale in ("de_DE", "de_DE", "fr_FR"):
        EnrollmentFactory(rollout=rollout, person=PersonFactory(locale=locale))
    staff(Role.LOCAL_LEAD, "de", name=LEAD)
    expert = staff(Role.EXPERT, "de", name="Eva Expert")
    db.session.commit()
    sign_in(page, LEAD)
    page.goto("/r/de/rollouts/draft-de")
    page.get_by_role("heading", name="From draft to launch").wait_for()
    page.get_by_text("Choose the expert who hosts the calls.").wait_for()
    assert page.get_by_role("link", name="Launch…").count() == 0
    assert page.get_by_text("Funnel", exact=True).count() == 0
    steps.shot("checklist-waiting")
    assert axe_violations(page, impact=("minor", "moderate", "serious", "critical")) == []
    rollout.expert_id = expert.id
    db.session.commit()
    page.reload()
    page.get_by_role("link", name="French").click()
    page.get_by_role("heading", name="The invitation in French").wait_for()
    steps.shot("invitation-preview-fr")
    assert axe_violations(page, impact=("minor", "moderate", "serious", "critical")) == []
    page.get_by_role("link", name="Launch…").click()
    page.get_by_text("Emails 3 learners in German and French").wait_for()
    steps.shot("launch-asks")
    assert axe_violations(page, impact=("minor", "moderate", "serious", "critical")) == []
    assert outbox() == []
