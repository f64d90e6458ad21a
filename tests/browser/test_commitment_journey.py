"""Issue 25 in Chromium: the learner opens the invitation delivered over SMTP, commits
choosing a buddy by name and a study slot; the buddy answers "not yet" and the local lead
sees it on the term review.

Jobs run in a real ``summit worker`` process and mail goes through SMTP to the sink, as in
``test_journey.py`` (whose live-server and worker fixtures this reuses). Time travel does not
cross processes, so term 1 of the program ended a few days ago and the cohort is still open
for commitments; the manager's approval (another journey) is set in the database.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.db import utcnow
from app.extensions import db
from app.people.models import Person
from app.programs.models import Module, Program, Term
from app.rollouts.models import Enrollment, EnrollmentState, Rollout, RolloutStatus
from app.terms.buddies import due_buddy_signoffs
from tests.browser import test_journey as journey
from tests.browser.conftest import axe_violations
from tests.browser.test_journey import link_in, run_cli, sign_in, wait_for_mail
from tests.factories import PersonFactory, region, staff

pytestmark = pytest.mark.browser
# the live server whose links point at itself, and a real ``summit worker`` beside it
journey_server = journey.journey_server
worker = journey.worker


def _setup() -> None:
    today = utcnow().date()
    staff(Role.LOCAL_LEAD, "de", name="Lena Lead")
    program = Program(
        slug="cloud-commit",
        title="Cloud Journey",
        provider="Open edX",
        course_url="https://courses.example.com/cloud",
        description="Cloud basics for every engineer, in six short modules.",
        hours_per_week=2.0,
    )
    modules = [
        Module(key=f"m{i}", title=title, estimated_hours=2.0, position=i)
        for i, title in enumerate(("Foundations", "Delivery", "Operations"), start=1)
    ]
    program.modules = modules
    first = Term(
        number=1,
        title="Basics",
        starts_on=today - timedelta(days=31),
        ends_on=today - timedelta(days=3),
    )
    first.required_modules = modules[:2]
    second = Term(
        number=2,
        title="Practice",
        starts_on=today - timedelta(days=2),
        ends_on=today + timedelta(days=26),
    )
    second.required_modules = modules
    program.terms = [first, second]
    db.session.add(program)
    de = region("de")
    rollout = Rollout(
        slug="cloud-commit-de",
        program=program,
        region_id=de.id,
        cohort_start=first.starts_on,
        call_weekday=3,
        call_time=time(16, 0),
        status=RolloutStatus.DRAFT,
        # the draft checklist's required host: the CLI launches only what the web would
        expert_id=staff(Role.EXPERT, "de", name="Eva Expert").id,
    )
    db.session.add(rollout)
    db.session.flush()
    # Berta committed earlier (her invitation is not part of this journey)
    berta = Enrollment(
        rollout_id=rollout.id,
        region_id=de.id,
        person_id=PersonFactory(
            name="Berta Brandt", email="berta.brandt@example.com", region_id=de.id
        ).id,
        state=EnrollmentState.COMMITTED,
        goal="Run our services on the new platform",
        invited_at=utcnow(),
    )
    anna = Enrollment(
        rollout_id=rollout.id,
        region_id=de.id,
        person_id=PersonFactory(
            name="Anna Schulz", email="anna.schulz@example.com", region_id=de.id
        ).id,
    )
    db.session.add_all([berta, anna])
    db.session.commit()


def _enrollment(name: str) -> Enrollment:
    db.session.expire_all()
    return db.session.scalars(
        select(Enrollment)
        .join(Person, Person.id == Enrollment.person_id)
        .where(Person.name == name)
    ).one()


def test_commit_with_a_buddy_by_name_and_the_buddys_not_yet_reaches_the_lead(
    page: Any, steps: Any, journey_server: tuple[str, Any], worker: Any, smtp_sink: Any
) -> None:
    base, journey_app = journey_server
    _setup()
    run_cli(journey_app, "rollout", "launch", "cloud-commit-de")

    # 1. Anna's invitation arrives over SMTP: a real button to the commit page
    invitation = wait_for_mail(smtp_sink, "anna.schulz@example.com")
    html = invitation.get_body(preferencelist=("html",)).get_content()
    assert 'role="presentation"' in html and f'href="{base}/join/' in html
    page.goto(link_in(invitation, base, "/join/"))
    page.get_by_text("Cloud basics for every engineer").wait_for()
    steps.shot("commit-page")
    assert axe_violations(page) == []

    # 2. she commits: her goal, Berta by name, Tuesday 08:30 in her zone
    page.locator("#goal").fill("Move our batch jobs to the cloud")
    page.get_by_label("Ihr Buddy").fill("Berta Brandt")
    page.get_by_label("Tag", exact=True).select_option(label="Dienstag")
    page.get_by_label("Uhrzeit", exact=True).fill("08:30")
    page.get_by_role("button", name="Ich bin dabei").click()
    page.get_by_role("heading", name="Sie sind dabei").first.wait_for()
    page.get_by_text("jeden Dienstag um 08:30 (Europe/Berlin)").wait_for()
    with page.expect_download() as download:
        page.get_by_role("link", name="Lernzeit in meinen Kalender eintragen").click()
    assert download.value.suggested_filename == "study-time.ics"
    steps.shot("committed")
    anna = _enrollment("Anna Schulz")
    berta = _enrollment("Berta Brandt")
    assert anna.state is EnrollmentState.COMMITTED
    assert (anna.study_weekday, anna.study_time.strftime("%H:%M")) == (1, "08:30")

    # 3. the lead pairs the buddies: Anna named Berta, who asked for anyone
    sign_in(page, "Lena Lead", base)
    page.goto(f"{base}/r/de/rollouts/cloud-commit-de")
    page.get_by_role("link", name="Pair buddies now…").click()  # it asks first (issue 24)
    page.get_by_role("button", name="Pair and introduce").click()
    page.get_by_text(re.compile(r"buddy groups? formed")).wait_for()
    anna, berta = _enrollment("Anna Schulz"), _enrollment("Berta Brandt")
    assert anna.buddy_group is not None and anna.buddy_group == berta.buddy_group

    # 4. their managers gave them the time (the approvals journey); term 1 has ended
    for e in (anna, berta):
        e.transition(EnrollmentState.TIME_APPROVED)
    db.session.commit()
    with journey_app.app_context():
        assert due_buddy_signoffs(region=region("de")) == 2
        db.session.commit()
        db.session.remove()

    # 5. Berta answers "not yet" for Anna's term 1, with a note
    ask = wait_for_mail(smtp_sink, "berta.brandt@example.com", "Anna Schulz")
    page.goto(link_in(ask, base, "/buddy/term/"))
    page.get_by_role("rowheader", name="Foundations").wait_for()
    steps.shot("buddy-question")
    assert axe_violations(page) == []
    page.get_by_role("radio", name="Noch nicht").check()
    page.get_by_label("Eine Notiz für Ihre lokale Leitung").fill("Delivery is still open")
    page.get_by_role("button", name="Antwort senden").click()
    page.get_by_text("Vielen Dank. Ihre Antwort ist gespeichert.").wait_for()
    steps.shot("buddy-answered")

    # 6. the lead sees it on the term review
    sign_in(page, "Lena Lead", base)
    page.goto(f"{base}/r/de/rollouts/cloud-commit-de/terms/1/review")
    answers = page.locator("#buddy-answers + table")
    answers.get_by_role("row", name="Anna Schulz").get_by_text("Delivery is still open").wait_for()
    steps.shot("lead-sees-not-yet")
    assert axe_violations(page) == []
    assert worker.poll() is None, "the worker died during the journey"
