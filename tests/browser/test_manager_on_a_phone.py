"""A manager decides on a phone (375×667, an iPhone SE's viewport), from the request email
as the SMTP server received it: the primary button's link opens the page, the first screen
holds a decision, each report's card fits in one screen, each approval lands back on the
next report (the page never jumps to the top), decided reports collapse to one line, and
the page ends with "all done"."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.approvals.models import AllocationStatus, TimeAllocation
from app.approvals.request_emails import send_due_requests
from app.auth.models import Role
from app.db import utcnow
from app.extensions import db
from app.regions.models import Region
from tests.approvals.helpers import commit, manager, report, rollout_in
from tests.browser.conftest import Steps, axe_violations
from tests.factories import staff

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}
NAMES = ("Ann Adams", "Ben Brook", "Cho Chen", "Dee Diaz")


@pytest.fixture
def phone_server(app_settings: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """The app on its own port, its links pointing at itself (the email links back to it)."""
    server = make_server("127.0.0.1", 0, lambda environ, start: [], threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    served = create_app({**app_settings, "base_url": url})
    server.app = served
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url, served
    server.shutdown()
    thread.join(timeout=5)
    with served.app_context():
        db.engine.dispose()


class _Buttons(HTMLParser):
    """The hrefs of the email's buttons (the <a> of each bulletproof button)."""

    def __init__(self) -> None:
        super().__init__()
        self.primary: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("class") == "button":
            self.primary.append(values.get("href") or "")


def _box(locator: Any) -> dict[str, float]:
    """Where an element is in the viewport right now (CSS pixels)."""
    return locator.evaluate(
        "e => { const r = e.getBoundingClientRect(); return {top: r.top, bottom: r.bottom,"
        " height: r.height}; }"
    )


def _once_in_view(page: Any, locator: Any) -> dict[str, float]:
    """The element's box once the page has scrolled it into the screen, or after 5 s: the
    page scrolls smoothly (to the next report, to "All done"), and a box read mid-scroll is
    still on its way (a loaded machine read "All done" 6 px above the screen's top)."""
    deadline = time.monotonic() + 5
    while True:
        box = _box(locator)
        if 0 <= box["top"] < PHONE["height"] or time.monotonic() > deadline:
            return box
        page.wait_for_timeout(50)


def test_a_manager_approves_each_report_on_a_phone(
    browser_instance: Any, phone_server: tuple[str, Any], smtp_sink: Any, run_jobs: Any
) -> None:
    base, served = phone_server
    rollout = rollout_in("us", starts_on=utcnow().date() + timedelta(days=21), hours=1.5)
    boss = manager("us", name="Mo Manager", email="mo.manager@example.com")
    staff(Role.LOCAL_LEAD, "us", name="Lena Lead", email="lena.lead@example.com")
    for name in NAMES:
        commit(report(rollout, boss, name=name))
    db.session.commit()
    with served.app_context():  # the hourly request job, in the app whose links it builds
        us = db.session.scalars(select(Region).where(Region.code == "us")).one()
        assert send_due_requests(region=us) == 1
        db.session.commit()
        db.session.remove()
    run_jobs()  # the outbox row goes out over SMTP to the test's aiosmtpd server
    (mail,) = smtp_sink.to("mo.manager@example.com")
    html = mail.get_body(preferencelist=("html",)).get_content()
    buttons = _Buttons()
    buttons.feed(html)
    (link,) = buttons.primary  # "Review and approve"
    assert link.startswith(f"{base}/approvals/decide/")

    context = browser_instance.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="en-US",
        bypass_csp=True,  # lets the test inject axe-core; the app keeps its strict policy
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    steps = Steps(page, "manager-approves-on-a-phone")
    try:
        page.goto(link)
        steps.shot("opened-from-the-email")
        assert axe_violations(page) == []
        # the first screen already holds a decision
        first = page.locator("section.decision-pending").first
        approve = first.get_by_role("button", name="Approve 1.5 h/week for Ann Adams")
        assert _box(approve)["bottom"] <= PHONE["height"]
        heights: dict[str, tuple[float, float]] = {}
        for n, name in enumerate(NAMES):
            card = page.locator("section.decision-pending", has_text=name)
            # one report's decision fits in one screen of scrolling
            card_height = _box(card)["height"]
            assert card_height <= PHONE["height"], name
            card.get_by_role("button", name=f"Approve 1.5 h/week for {name}").click()
            page.wait_for_load_state()
            done = page.locator("section.decision-done", has_text=name)
            done.get_by_text("approved: 1.5 h/week").wait_for()
            # collapsed to one line: no form of its own showing (change sits in a <details>)
            assert done.locator("form:visible").count() == 0
            heights[name] = (card_height, _box(done)["height"])
            steps.shot(f"approved-{n + 1}")
            assert _box(done)["height"] < 120, name
            if n + 1 < len(NAMES):
                # the page came back at the next report, not at the top
                following = page.locator("section.decision-pending", has_text=NAMES[n + 1])
                box = _once_in_view(page, following)
                assert 0 <= box["top"] < PHONE["height"], (name, box)
                assert page.evaluate("window.scrollY") > 0 or n == 0
        finished = page.locator("#done")
        finished.wait_for()
        assert "All done" in finished.inner_text()
        assert 0 <= _once_in_view(page, finished)["top"] < PHONE["height"]
        assert page.locator("section.decision-pending").count() == 0
        steps.shot("all-done")
        page.locator("section.decision-done", has_text="Ann Adams").get_by_text(
            "Change decision"
        ).click()
        assert axe_violations(page) == []  # collapsed people, one change form opened
        print("card and collapsed heights (px):", heights)
    finally:
        context.close()
    db.session.expire_all()
    statuses = db.session.scalars(select(TimeAllocation.status)).all()
    assert statuses == [AllocationStatus.APPROVED] * len(NAMES)
