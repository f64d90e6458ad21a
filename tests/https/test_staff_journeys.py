"""The staff workspace as a company runs it: a local lead signs in with Entra ID (the fake
of tests/auth/fake_entra.py, configured through ENTRA_* as in production) through nginx
with TLS in front of gunicorn (``SUMMIT_ENV=production``), in Chromium, and works from
their home: the action inbox, the free-rider review, closing and reopening a rollout,
the learner list and the person page on a tablet and a phone (issue 24).

Every form here is a POST with a CSRF token over HTTPS; Flask-WTF's strict Referer check
once refused all of them behind TLS (issue 18, see test_journeys.py). Each journey checks
the database afterwards; nothing is emailed before a confirmation.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import Role, StaffUser
from app.extensions import db
from app.mail.models import OutboundEmail
from app.mail.services import queue_email
from app.progress.models import ModuleProgress
from app.rollouts.models import Enrollment, Rollout, RolloutStatus
from app.terms.models import TermReview, Verdict
from tests.browser.conftest import axe_violations
from tests.https.stack import Stack
from tests.progress.helpers import FIXTURES, make_course
from tests.terms.test_review import closed_course

pytestmark = [pytest.mark.browser, pytest.mark.https]

ROLLOUT = "/r/de/rollouts/sef-test"


@pytest.fixture(scope="module")
def chromium(entra_chromium: Any) -> Any:
    """``open_page`` in this module: Chromium that also trusts the fake Entra ID."""
    return entra_chromium


@pytest.fixture
def lead(entra: Any) -> Any:
    """Whoever signs in next is Alice Lead, local lead of Germany by her Entra app role."""
    entra.reset()
    entra.user["roles"] = ["Summit.LocalLead.DE"]
    return entra


def _posts(page: Any) -> list[Any]:
    """The POSTs the page sends, with their answers (nothing refused over HTTPS)."""
    posts: list[Any] = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    return posts


def _sign_in(page: Any, stack: Stack, path: str = "/") -> None:
    """Open ``path`` signed out, sign in with Microsoft, and land on it."""
    page.goto(path)
    assert "/auth/sign-in" in page.url
    assert page.get_by_text("Development sign-in").count() == 0  # production: Entra only
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
    page.get_by_role("button", name="Sign in with Microsoft").click()
    page.wait_for_load_state()
    try:
        page.wait_for_url(f"{stack.base_url}{path}")
    except PlaywrightTimeout:
        body = page.inner_text("body")[:600]
        raise AssertionError(f"not signed in: at {page.url}, {failed}\n{body}") from None


def _staff(email: str) -> StaffUser:
    db.session.expire_all()
    return db.session.scalars(select(StaffUser).filter_by(email=email)).one()


def _review(enrollment_id: int) -> TermReview:
    db.session.expire_all()
    return db.session.scalars(select(TermReview).filter_by(enrollment_id=enrollment_id)).one()


def _audit(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).filter_by(action=action)))


def _outbox() -> list[OutboundEmail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundEmail)))


def _answered(posts: list[Any], stack: Stack) -> list[int]:
    """Each POST named its origin and was answered without a refusal."""
    statuses = []
    for request in posts:
        assert request.headers.get("origin") == stack.base_url
        response = request.response()
        assert response is not None
        statuses.append(response.status)
    assert all(s < 400 for s in statuses), statuses
    return statuses


def test_the_lead_signs_in_and_works_the_review_from_the_inbox(
    stack: Stack, in_stack: Any, open_page: Any, smtp_sink: Any, lead: Any
) -> None:
    with in_stack():
        course = closed_course()
        title = course.program.title
        ben, dev = course.enrollments["ben"].id, course.enrollments["dev"].id
    page = open_page()
    posts = _posts(page)
    _sign_in(page, stack)
    page.get_by_role("heading", name="What needs you now").wait_for()
    alice = _staff("alice@contoso.example")
    assert alice.entra_oid == lead.user["oid"]
    assert {(ra.role, ra.source) for ra in alice.roles} == {(Role.LOCAL_LEAD, "entra")}

    item = page.locator("li.inbox-item[data-kind=reviews]")
    assert item.inner_text().strip().endswith(f"3 free-rider reviews due: {title}, term 1")
    item.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/r/de/rollouts/sef-test/terms/1/review"))

    # keep Ben (excused, with a reason)
    row = page.get_by_role("row").filter(has_text="Ben Okafor")
    row.get_by_text("Keep (excuse)…").click()  # folded beside "Confirm free rider…"
    row.get_by_label("Reason").select_option("leave")
    row.get_by_label("Why").fill("Parental leave since September")
    row.get_by_role("button", name="Keep (excuse)").click()
    page.locator("table[data-reviewed]").get_by_text("Ben Okafor").wait_for()
    excused = _review(ben)
    assert (excused.verdict, excused.excuse_reason) == (Verdict.EXCUSED, "leave")
    assert excused.excuse_note == "Parental leave since September"
    assert excused.reviewed_by_id == alice.id

    # confirm Dev as a free rider: it asks first, emails only after the grace period
    row = page.get_by_role("row").filter(has_text="Dev Patel")
    row.get_by_role("link", name="Confirm free rider…").click()
    page.get_by_role("heading", name="Confirm Dev Patel as a free rider?").wait_for()
    page.get_by_text("Dev Patel receives an email in German.").wait_for()
    page.get_by_text("Their manager, Maria Manager, receives an email in German.").wait_for()
    assert _outbox() == [] and smtp_sink.messages == []
    page.get_by_label("Reason").fill("No module done and no answer to two nudges")
    page.get_by_role("button", name="Confirm free rider").click()
    page.get_by_role("button", name="Withdraw the confirmation").wait_for()
    assert _review(dev).verdict is Verdict.CONFIRMED_FREE_RIDER
    held = _outbox()
    assert {m.to_address for m in held} == {"dev.patel@example.com", "maria.de@example.com"}
    assert all(m.next_attempt_at > datetime.now(UTC) + timedelta(minutes=9) for m in held)
    stack.drain()
    assert smtp_sink.messages == []  # the worker runs, the emails wait
    page.get_by_label("Why you withdraw it").fill("Dev answered after all")
    page.get_by_role("button", name="Withdraw the confirmation").click()
    page.get_by_text("Confirmation withdrawn").wait_for()
    assert _review(dev).verdict is Verdict.FREE_RIDER_CANDIDATE
    assert _outbox() == []
    confirmed = _audit("term.confirmed_free_rider") + _audit("term.confirmation_withdrawn")
    assert [(e.actor_id, e.channel) for e in confirmed] == [(alice.id, "web")] * 2
    stack.drain()
    assert smtp_sink.messages == []
    assert _answered(posts, stack)  # sign-in, excuse, confirm, withdraw


def test_the_lead_closes_a_rollout_and_reopens_it(
    stack: Stack, in_stack: Any, open_page: Any, smtp_sink: Any, lead: Any
) -> None:
    with in_stack():
        course = closed_course()
        title, rollout_id = course.program.title, course.rollout.id
    page = open_page()
    posts = _posts(page)
    _sign_in(page, stack, ROLLOUT)
    page.get_by_role("link", name="Close the rollout…").click()
    page.get_by_role("heading", name=f"Close {title}?").wait_for()
    # what happens, and to whom
    page.get_by_text(
        "4 learners in the program stop receiving reminders, weekly emails and call "
        "invitations; no further term is reviewed."
    ).wait_for()
    page.get_by_text("Nobody is emailed about the closing.").wait_for()
    assert db.session.get(Rollout, rollout_id).status is RolloutStatus.LAUNCHED
    assert smtp_sink.messages == [] and _outbox() == []

    page.get_by_label("Reason").fill("The program ended early")
    page.get_by_role("button", name="Close the rollout").click()
    page.get_by_role("link", name="Reopen the rollout…").wait_for()
    db.session.expire_all()
    closed = db.session.get(Rollout, rollout_id)
    assert closed.status is RolloutStatus.CLOSED and closed.closed_at is not None
    alice = _staff("alice@contoso.example")
    [event] = _audit("rollout.closed")
    assert (event.actor_id, event.data["reason"]) == (alice.id, "The program ended early")

    page.get_by_role("link", name="Reopen the rollout…").click()
    page.get_by_text("Nobody already invited is invited again.").wait_for()
    page.get_by_role("button", name="Reopen the rollout").click()
    page.get_by_role("link", name="Close the rollout…").wait_for()
    db.session.expire_all()
    reopened = db.session.get(Rollout, rollout_id)
    assert reopened.status is RolloutStatus.LAUNCHED and reopened.closed_at is None
    assert [e.actor_id for e in _audit("rollout.reopened")] == [alice.id]
    stack.drain()  # reopening queues the invitations of learners added meanwhile: none
    assert _outbox() == [] and smtp_sink.messages == []

    # signing out ends the Entra ID session too (a POST redirected to its logout)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{lead.authority}/oauth2/v2.0/logout?*")
    assert len(_answered(posts, stack)) == 4  # sign-in, close, reopen, sign-out
    page.goto(ROLLOUT)
    assert "/auth/sign-in" in page.url


def _fits(page: Any) -> None:
    """No horizontal scrolling of the page: wide tables scroll inside ``.table-scroll``."""
    width = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px window"
    wide = page.evaluate(
        """() => [...document.querySelectorAll('table')]
            .filter(t => t.getBoundingClientRect().right > window.innerWidth + 1)
            .filter(t => !t.closest('.table-scroll'))
            .map(t => t.querySelector('caption')?.textContent || t.className)"""
    )
    assert wide == [], f"tables wider than the screen outside .table-scroll: {wide}"


@pytest.mark.parametrize("device", ["tablet", "phone"])
def test_the_lead_finds_a_learner_on_a_small_screen(
    stack: Stack, in_stack: Any, open_page: Any, lead: Any, device: str
) -> None:
    with in_stack():
        course = closed_course()
        chloe = course.enrollments["chloe"]
        chloe.goal = "Move the month-end close to event-driven pipelines"
        chloe_id = chloe.id
    page = open_page(phone=device == "phone", tablet=device == "tablet", bypass_csp=True)
    _sign_in(page, stack)
    page.goto(f"{ROLLOUT}/learners?q=dubois")
    page.get_by_text("1 learner", exact=False).first.wait_for()
    assert page.get_by_role("link", name="Chloé Dubois").count() == 1
    assert page.get_by_role("link", name="Ada Lovelace").count() == 0
    assert page.get_by_label("Search").input_value() == "dubois"
    _fits(page)
    assert axe_violations(page) == []

    page.get_by_role("link", name="Chloé Dubois").click()
    page.wait_for_url(re.compile(rf"/{chloe_id}$"))
    page.get_by_role("heading", name="Journey").wait_for()
    page.get_by_text("Move the month-end close to event-driven pipelines").wait_for()
    _fits(page)
    assert axe_violations(page) == []

    # the page is kept (by each gunicorn worker the reloads reach); an email queued for her
    # since shows on the next load (the outbox in brief goes with the sign-in's round trip)
    for _ in range(4):
        page.reload()
    assert page.get_by_text(f"{device} check").count() == 0
    with in_stack():
        person = db.session.get(Enrollment, chloe_id).person
        queued = queue_email(
            kind="mail/test",
            to_address=person.email,
            idempotency_key=f"journey-{device}",
            context={"name": f"{device} check", "sent_at": datetime.now(UTC), "url": ROLLOUT},
            region_id=person.region_id,
            person_id=person.id,
        ).subject  # in her language
        db.session.commit()
    page.reload()
    page.get_by_text(queued).first.wait_for()


def test_the_lead_uploads_a_summit_csv_and_the_worker_imports_it(
    stack: Stack, in_stack: Any, open_page: Any, lead: Any
) -> None:
    """A Summit CSV as the README documents it (tests/progress/fixtures/summit_progress.csv: an
    offset, UTC, a 0 % row and an unknown learner) uploaded over HTTPS; the stack's own
    ``summit worker`` imports it (on PostgreSQL through the COPY fast path, whose times are
    read once per distinct cell), and the page says so by itself."""
    with in_stack():
        course = make_course()
        ada, ben = course.enrollments["ada"].id, course.enrollments["ben"].id
    page = open_page()
    posts = _posts(page)
    _sign_in(page, stack, f"{ROLLOUT}/progress")
    page.locator("#file").set_input_files(str(FIXTURES / "summit_progress.csv"))
    page.get_by_label("Format", exact=True).select_option("summit")
    page.get_by_role("button", name="Upload and import").click()
    page.get_by_text("Imported: 2 module results applied").wait_for(timeout=30_000)
    assert _answered(posts, stack)
    db.session.expire_all()
    rows = {
        r.enrollment_id: (r.percent, r.completed, r.observed_at)
        for r in db.session.scalars(select(ModuleProgress))
    }
    assert rows == {
        ada: (100.0, True, datetime(2026, 10, 1, 7, tzinfo=UTC)),
        ben: (60.0, False, datetime(2026, 10, 1, 9, tzinfo=UTC)),
    }
