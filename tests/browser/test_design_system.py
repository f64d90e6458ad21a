"""The design system in Chromium: the navigation fits one line at 1440 px for a global admin
with every link, the ops menu opens, is walked and closes (Escape) by keyboard, and pages
built from the components pass axe-core at a desktop (1280 px) and a tablet-sized (800 px)
width."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth.models import Role
from app.extensions import db
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import EnrollmentFactory, RolloutFactory, region, staff

pytestmark = pytest.mark.browser

ADMIN = "Grace Hopper-Lee"


def test_navigation_fits_one_line_at_1440_and_ops_opens_and_closes_by_keyboard(
    page: Any, steps: Any
) -> None:
    staff(Role.GLOBAL_ADMIN, name=ADMIN)
    rollout = RolloutFactory(region_id=region("de").id, slug="nav-check")
    db.session.commit()
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, ADMIN)
    page.goto(f"/r/de/rollouts/{rollout.slug}")
    steps.shot("topbar-1440")

    # one line: every direct child of the top bar sits on the same row, the bar stays short
    tops = page.evaluate(
        "() => [...document.querySelectorAll('.topbar > *, .main-nav > ul > li')]"
        ".map(e => e.getBoundingClientRect())"
        ".map(r => Math.round(r.top + r.height / 2))"
    )
    assert max(tops) - min(tops) <= 4, tops
    assert page.locator(".topbar").bounding_box()["height"] < 64

    # business links in view, developer tools inside the ops menu, one "Approvals" entry
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Overview", "Programs", "Global report"):
        assert nav.get_by_role("link", name=name, exact=True).is_visible()
    for name in ("Jobs & mail", "Audit", "Personal data", "Role mapping", "Directory"):
        assert not nav.get_by_role("link", name=name, exact=True).is_visible()
    assert page.get_by_role("link", name="Approvals", exact=True).count() == 1
    assert page.get_by_role("link", name="Manager sign-off").count() == 0
    assert page.get_by_role("link", name=rollout.slug, exact=True).count() == 0

    # the keyboard opens the menu and reaches its links
    summary = page.locator(".ops-menu > summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert nav.get_by_role("link", name="Audit", exact=True).is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Jobs & mail"
    steps.shot("ops-open")

    # Escape closes it from inside and gives the focus back to its button
    page.keyboard.press("Escape")
    assert page.locator(".ops-menu").get_attribute("open") is None
    assert not nav.get_by_role("link", name="Audit", exact=True).is_visible()
    assert page.evaluate(
        "() => document.activeElement === document.querySelector('.ops-menu > summary')"
    )
    # and from the button itself; then the keyboard opens it again
    page.keyboard.press("Enter")
    assert nav.get_by_role("link", name="Audit", exact=True).is_visible()
    page.keyboard.press("Escape")
    assert page.locator(".ops-menu").get_attribute("open") is None
    assert page.evaluate(
        "() => document.activeElement === document.querySelector('.ops-menu > summary')"
    )
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Jobs & mail"
    page.keyboard.press("Enter")
    page.wait_for_url("**/ops/")
    assert page.locator('.ops-menu a[aria-current="page"]').text_content() == "Jobs & mail"


@pytest.mark.parametrize("width", [1280, 800])
def test_component_pages_pass_axe_on_desktop_and_tablet(page: Any, steps: Any, width: int) -> None:
    staff(Role.GLOBAL_ADMIN, name=ADMIN)
    rollout = RolloutFactory(region_id=region("de").id, slug=f"ds-{width}")
    EnrollmentFactory.create_batch(3, rollout=rollout)
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, ADMIN)
    pages = {
        "home": "/",
        "region": "/r/de/",
        "rollout": f"/r/de/rollouts/{rollout.slug}",
        "approvals": "/r/de/approvals/",
        "close-dialog": f"/r/de/rollouts/{rollout.slug}/close",
        "audit": "/audit/",
    }
    found = {}
    for name, path in pages.items():
        response = page.goto(path)
        assert response is not None and response.status == 200, (name, path)
        # nothing wider than the window: no sideways scrolling on a tablet
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (name, overflow)
        steps.shot(f"{name}-{width}")
        violations = axe_violations(page)
        if violations:
            found[name] = violations
    assert found == {}
