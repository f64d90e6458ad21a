"""The sponsor's Monday email, delivered over SMTP, opened in the dev mailbox in Chromium:
the status and the headline come first, and the trend chart is an image that loads
(issue 25: "the sponsor's report shows its headline and chart")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.mail.models import OutboundEmail
from app.reports.services import build_week
from tests.browser.conftest import ARTIFACTS, keep_screenshot, sign_in
from tests.factories import staff
from tests.metrics import dataset

pytestmark = pytest.mark.browser

#: Monday 30 Nov 2026, 08:00 in Berlin: the German report of 2026-W48 goes out
SENT = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def test_the_sponsor_reads_the_headline_and_sees_the_chart(page: Any, run_jobs, smtp_sink):
    dataset.build()
    staff(Role.SPONSOR, "de", name="Dora Sponsor", email="dora.sponsor@example.com")
    with time_machine.travel(SENT, tick=False):
        build_week(week=dataset.WEEK, send=True)
    run_jobs()  # the outbox delivers over SMTP to the test's server
    (message,) = smtp_sink.to("dora.sponsor@example.com")
    html = message.get_body(preferencelist=("html",)).get_content()
    assert 'class="headline"' in html and 'src="cid:trend-chart@summit"' in html
    chart = next(p for p in message.walk() if p["Content-ID"])
    assert str(chart["Content-ID"]) == "<trend-chart@summit>"
    email = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.to_address == "dora.sponsor@example.com")
    ).one()
    db.session.commit()

    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, "Dora Sponsor")
    page.goto(f"/dev/mailbox/{email.id}")
    frame = page.frame_locator("iframe.email-frame")
    status = frame.locator("[data-status]")
    status.wait_for()
    assert status.inner_text().startswith("Status: ")
    headline = frame.locator(".headline")
    assert "Abschlussquote" in headline.inner_text()  # German region, German report
    chart_image = frame.locator("img").first
    assert chart_image.get_attribute("src").startswith("data:image/png;base64,")
    loaded = chart_image.evaluate(
        "img => img.complete ? img.naturalWidth : new Promise(done => "
        "{ img.onload = () => done(img.naturalWidth); img.onerror = () => done(0); })"
    )
    assert loaded > 0, "the chart did not load in the dev mailbox preview"
    folder = ARTIFACTS / "sponsor-report"
    folder.mkdir(parents=True, exist_ok=True)
    keep_screenshot(page, folder / "dev-mailbox-375.png")
    keep_screenshot(
        page, folder / "preview-frame-375.png", element=page.locator("iframe.email-frame")
    )
