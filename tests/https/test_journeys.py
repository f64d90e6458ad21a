"""The journeys of the people who never sign in, over HTTPS in Chromium, through the stack a
company deploys (nginx with TLS → gunicorn, ``summit worker``, ``summit scheduler``): each
starts from the email as the SMTP server received it, follows its link, decides on the
page, and checks the database afterwards.

The browser sends no Referer to these pages' forms unless the policy allows it, and
Flask-WTF's strict referrer check refused every such POST over HTTPS (issue 18): these
journeys are the guard. Data are made in this process with the stack's base URL and key;
everything the people do goes through nginx.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from app.approvals.models import AllocationStatus, TimeAllocation
from app.approvals.request_emails import send_due_requests
from app.db import utcnow
from app.extensions import db
from app.masterclasses.invitations import invite_qualifying
from app.masterclasses.models import InvitationStatus, MasterClassInvitation
from app.reports.services import build_week
from app.rollouts.models import Enrollment, EnrollmentState, RolloutSponsor, RolloutStatus
from app.rollouts.onboarding import send_invitations
from app.terms.buddies import due_buddy_signoffs
from app.terms.models import TermReview
from app.weeks import week_label
from tests.approvals.helpers import commit, manager, report, rollout_in
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region
from tests.https.conftest import link_in, wait_for_mail
from tests.masterclasses.helpers import completer, master_class

pytestmark = [pytest.mark.browser, pytest.mark.https]

#: English pages (region "us", en_US): the labels the tests click are the English ones
CODE = "us"


def _fresh(model: Any, **where: Any) -> Any:
    db.session.expire_all()
    stmt = select(model).filter_by(**where)
    return db.session.scalars(stmt).one()


def _no_referer_sent(page: Any) -> list[dict[str, str]]:
    """Record the headers of every POST the page sends."""
    posts: list[dict[str, str]] = []
    page.on("request", lambda r: posts.append(r.headers) if r.method == "POST" else None)
    return posts


def test_a_learner_commits_from_the_invitation(stack, in_stack, open_page, smtp_sink) -> None:
    with in_stack():
        rollout = rollout_in(CODE, starts_on=utcnow().date() + timedelta(days=14))
        rollout.status = RolloutStatus.LAUNCHED
        learner = PersonFactory(
            region_id=region(CODE).id, name="Lea Learner", email="lea@example.com"
        )
        enrollment_id = EnrollmentFactory(rollout=rollout, person=learner).id
        assert send_invitations(region=region(CODE), rollout=rollout) == 1
    invitation = wait_for_mail(smtp_sink, "lea@example.com")
    page = open_page()
    posts = _no_referer_sent(page)
    page.goto(link_in(invitation, stack.base_url, "/join/"))
    page.locator("#goal").fill("Automate our month-end close")
    page.get_by_role("button", name="I commit").click()
    page.get_by_role("heading", name="You are in, Lea Learner").wait_for()
    # the browser's POST named its origin and kept the token out of any Referer elsewhere
    assert posts and posts[0].get("origin") == stack.base_url
    row = _fresh(Enrollment, id=enrollment_id)
    assert row.state is EnrollmentState.COMMITTED
    assert row.goal == "Automate our month-end close"


def test_a_manager_decides_on_a_phone(stack, in_stack, open_page, smtp_sink) -> None:
    """Approve one report, decline another, propose hours for the third, from the request
    email the scheduler had sent, on a phone-sized screen."""
    with in_stack():
        rollout = rollout_in(CODE, starts_on=utcnow().date() + timedelta(days=14))
        boss = manager(CODE, name="Mo Manager", email="mo@example.com")
        reports = {
            name: commit(report(rollout, boss, name=name)).id
            for name in ("Ann Approved", "Dee Declined", "Pat Proposed")
        }
    stack.start_scheduler()  # its first tick sends the hourly manager requests
    request = wait_for_mail(smtp_sink, "mo@example.com")
    page = open_page(phone=True)
    page.goto(link_in(request, stack.base_url, "/approvals/decide/"))
    assert page.viewport_size == {"width": 390, "height": 844}

    def card(name: str) -> Any:
        return page.locator("section.decision", has=page.get_by_role("heading", name=name))

    card("Ann Approved").get_by_role("button", name=re.compile("^Approve")).click()
    card("Ann Approved").get_by_text("approved: 2 h/week").wait_for()
    # decline and other hours sit behind "Other hours or decline" (a <details>, no JS)
    card("Dee Declined").get_by_text("Other hours or decline").click()
    card("Dee Declined").get_by_label("Reason for declining").fill("Quarter-end freeze")
    card("Dee Declined").get_by_role("button", name="Decline", exact=True).click()
    card("Dee Declined").locator(".status", has_text="declined").wait_for()
    card("Pat Proposed").get_by_text("Other hours or decline").click()
    card("Pat Proposed").get_by_label("Propose other hours per week").fill("1.5")
    card("Pat Proposed").get_by_role("button", name="Propose", exact=True).click()
    card("Pat Proposed").get_by_text("you proposed 1.5 h/week").wait_for()
    page.locator("#done").wait_for()  # nobody is left waiting

    outcome = {name: _fresh(TimeAllocation, enrollment_id=eid) for name, eid in reports.items()}
    assert outcome["Ann Approved"].status is AllocationStatus.APPROVED
    assert outcome["Ann Approved"].hours_decided == 2.0
    assert outcome["Dee Declined"].status is AllocationStatus.DECLINED
    assert outcome["Dee Declined"].reason == "Quarter-end freeze"
    assert outcome["Pat Proposed"].status is AllocationStatus.PROPOSED
    assert outcome["Pat Proposed"].hours_decided == 1.5
    assert all(a.decided_via == "link" for a in outcome.values())


def test_an_expired_link_asks_for_a_fresh_one_that_works(
    stack, in_stack, open_page, smtp_sink
) -> None:
    asked = utcnow() - timedelta(days=25)  # longer ago than a link's 21 days
    with in_stack(), time_machine.travel(asked, tick=False):
        rollout = rollout_in(CODE, starts_on=asked.date() + timedelta(days=60))
        boss = manager(CODE, name="Eve Expired", email="eve@example.com")
        enrollment_id = commit(report(rollout, boss, name="Rob Report")).id
        assert send_due_requests(region=region(CODE), now=asked) == 1
        db.session.commit()
    # the reminders job may write to Eve too (her request is weeks old): not those
    old = wait_for_mail(smtp_sink, "eve@example.com", unless="Reminder")
    smtp_sink.clear()
    page = open_page()
    page.goto(link_in(old, stack.base_url, "/approvals/decide/"))
    page.get_by_role("heading", name="This link has expired").wait_for()
    page.get_by_role("button", name="Email me a fresh link").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()

    fresh = wait_for_mail(smtp_sink, "eve@example.com", unless="Reminder")
    page.goto(link_in(fresh, stack.base_url, "/approvals/decide/"))
    page.get_by_role("button", name=re.compile("^Approve")).first.click()
    page.get_by_text("approved: 2 h/week").wait_for()
    assert _fresh(TimeAllocation, enrollment_id=enrollment_id).status is (AllocationStatus.APPROVED)


def test_a_buddy_signs_off_a_term(stack, in_stack, open_page, smtp_sink) -> None:
    today = utcnow().date()
    with in_stack():
        # term 1 ended last week; the buddies are asked to confirm it
        rollout = rollout_in(CODE, starts_on=today - timedelta(weeks=4, days=3))
        rollout.status = RolloutStatus.LAUNCHED
        pair = []
        for name in ("Bo Buddy", "Liv Learner"):
            email = f"{name.split()[0].lower()}@example.com"
            enrollment = report(rollout, manager(CODE), name=name, email=email)
            for state in (
                EnrollmentState.COMMITTED,
                EnrollmentState.TIME_APPROVED,
                EnrollmentState.ACTIVE,
            ):
                enrollment.transition(state)
            enrollment.buddy_group = 7
            pair.append(enrollment)
        db.session.flush()
        assert due_buddy_signoffs(region=region(CODE)) == 2
        learner_id, buddy_id = pair[1].id, pair[0].id
    ask = wait_for_mail(smtp_sink, "bo@example.com", subject_has="Liv Learner")
    page = open_page()
    page.goto(link_in(ask, stack.base_url, "/buddy/term/"))
    page.get_by_label("Yes, I confirm").check()
    page.get_by_role("button", name="Send my answer").click()
    page.get_by_text("Thank you. Your answer is recorded.").wait_for()
    review = _fresh(TermReview, enrollment_id=learner_id)
    assert review.buddy_confirmed_by_id == buddy_id and review.buddy_confirmed_at is not None


def test_a_completer_accepts_a_master_class(stack, in_stack, open_page, smtp_sink) -> None:
    with in_stack():
        rollout = RolloutFactory(region_id=region(CODE).id, status=RolloutStatus.LAUNCHED)
        person = PersonFactory(region_id=rollout.region_id, email="cleo@example.com")
        enrollment_id = completer(rollout, person=person).id
        mc = master_class(rollout.program, region_code=CODE, title="Design clinic")
        assert len(invite_qualifying(mc)) == 1
    invitation = wait_for_mail(smtp_sink, "cleo@example.com", "Design clinic")
    page = open_page()
    page.goto(link_in(invitation, stack.base_url, "/masterclasses/rsvp/"))
    page.get_by_role("button", name="Yes, I will come").click()
    page.get_by_role("button", name="Give up my place").wait_for()
    answer = _fresh(MasterClassInvitation, enrollment_id=enrollment_id)
    assert answer.status is InvitationStatus.ACCEPTED


def test_a_sponsor_unsubscribes(stack, in_stack, open_page, smtp_sink) -> None:
    with in_stack():
        rollout = RolloutFactory(region_id=region(CODE).id, status=RolloutStatus.LAUNCHED)
        sponsor = RolloutSponsor(
            region_id=rollout.region_id, name="Sue Sponsor", email="sue@example.com"
        )
        rollout.sponsors.append(sponsor)
        EnrollmentFactory(rollout=rollout)
        db.session.flush()
        build_week(week=week_label(utcnow().date()), send=True, region_ids=[rollout.region_id])
        sponsor_id = sponsor.id
    weekly = wait_for_mail(smtp_sink, "sue@example.com")
    page = open_page()
    page.goto(link_in(weekly, stack.base_url, "/reports/subscription/"))
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_text("You are unsubscribed.").wait_for()
    assert _fresh(RolloutSponsor, id=sponsor_id).subscribed is False
