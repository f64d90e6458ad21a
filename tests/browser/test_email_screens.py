"""Every email kind in Chromium at a phone's and a desktop's width, as the dev mailbox's
preview serves it (its own strict policy applied): screenshots kept in
test-artifacts/emails/, nothing wider than a 375 px phone, every image decoded (issue 25,
item 7). The emails are the ones ``tests/emails/test_render.py`` checks as delivered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import keep_screenshot
from tests.emails.rendered import delivered_emails, email_kinds
from tests.emails.world import build_world

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "emails"
PHONE, DESKTOP = 375, 1024
#: the preview is fetched from this address; the test answers it with the served HTML
PREVIEW_URL = "https://mailbox.test/preview"


@pytest.fixture
def screen(browser_instance: Any) -> Any:
    # no bypass_csp: the preview's Content-Security-Policy applies, as in the dev mailbox
    context = browser_instance.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.mark.parametrize("kind", email_kinds())
def test_each_kind_fits_a_phone_and_shows_its_images(kind, screen, make_app):
    emails = delivered_emails(make_app, build_world).get(kind)
    assert emails, f"no {kind} email was built (see tests/emails/world.py)"
    email = emails[0]
    screen.route(
        PREVIEW_URL,
        lambda route: route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": email.preview_csp},
            body=email.preview,
        ),
    )
    folder = ARTIFACTS / kind
    folder.mkdir(parents=True, exist_ok=True)
    for width in (PHONE, DESKTOP):
        screen.set_viewport_size({"width": width, "height": 800})
        screen.goto(PREVIEW_URL)
        keep_screenshot(screen, folder / f"{email.locale}-{width}.png")
        broken = screen.evaluate(
            "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.alt || i.src.slice(0, 40))"
        )
        assert broken == [], (kind, width, broken)
        if width == PHONE:
            widths = screen.evaluate(
                "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
            )
            assert widths[0] <= widths[1], (kind, widths)  # no sideways scrolling on a phone
