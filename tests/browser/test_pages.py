"""Every main staff page in Chromium: no serious or critical axe-core violation, with the demo's
realistic data and with nothing at all (empty states), charts readable without colour, and the
keyboard reaching everything with a visible focus."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.demo.services import seed_demo
from app.extensions import db
from app.rollouts.models import Rollout
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import EnrollmentFactory, RolloutFactory, region, staff

pytestmark = pytest.mark.browser

ADMIN = "Grace Hopper-Lee"


def main_pages(slug: str) -> dict[str, str]:
    rollout = f"/r/de/rollouts/{slug}"
    return {
        "overview": "/",
        "region": "/r/de/",
        "rollout dashboard": rollout,
        "roster": f"{rollout}/roster",
        "approvals": "/r/de/approvals/",
        "rollout approvals": f"/r/de/approvals/{slug}",
        "calls": f"{rollout}/calls",
        "progress": f"{rollout}/progress",
        "terms review": f"{rollout}/terms/1/review",
        "reports archive": "/r/de/reports/",
        "metrics": "/r/de/metrics",
        "master classes": "/r/de/masterclasses",
        "leaderboard": "/r/de/leaderboard",
        "programs": "/programs",
        "ops": "/ops/",
        "audit": "/audit/",
        "privacy search": "/privacy/people?q=a",
    }


def sweep(page: Any, pages: dict[str, str]) -> dict[str, Any]:
    found = {}
    for name, path in pages.items():
        response = page.goto(path)
        assert response is not None and response.status == 200, (name, path)
        violations = axe_violations(page)
        if violations:
            found[name] = violations
    return found


def test_every_main_page_passes_axe_with_realistic_data(page: Any, steps: Any) -> None:
    seed_demo()
    db.session.commit()
    slug = db.session.scalars(
        select(Rollout.slug).where(Rollout.region_id == region("de").id).order_by(Rollout.id)
    ).first()
    sign_in(page, ADMIN)
    assert sweep(page, main_pages(slug)) == {}

    # the dashboards' charts: an image with a name and a description, labels in the picture
    for path in ("/r/de/", f"/r/de/rollouts/{slug}"):
        page.goto(path)
        steps.shot(path.strip("/").replace("/", "-"))
        charts = page.locator("figure.chart svg[role=img]")
        assert charts.count() == 2
        for i in range(2):
            svg = charts.nth(i)
            assert svg.locator("title").text_content()
            assert "%" in svg.locator("desc").text_content()
        # every funnel bar names its stage and its number in the picture itself
        labels = page.locator("figure.chart").first.locator("text.chart-label").all_text_contents()
        assert labels[:2] == ["Invited", "Committed"]
        assert page.locator("figure.chart").first.locator("text.chart-value").count() == 5
        assert page.get_by_text("The same figures as a table").count() >= 1


def test_every_main_page_is_helpful_when_empty(page: Any) -> None:
    staff(Role.GLOBAL_ADMIN, name=ADMIN)
    rollout = RolloutFactory(region_id=region("de").id, slug="empty-rollout")
    db.session.commit()
    sign_in(page, ADMIN)
    pages = main_pages(rollout.slug)
    assert sweep(page, pages) == {}
    # these list something even here: the rollout, its program, the search form
    without_lists = {"overview", "rollout dashboard", "privacy search", "programs"}
    missing = []
    for name, path in pages.items():
        if name in without_lists:
            continue
        page.goto(path)
        if page.locator(".empty").count() == 0:
            missing.append(f"{name} ({path})")
    assert missing == [], "pages without an empty state"


def test_keyboard_focus_is_always_visible(page: Any) -> None:
    staff(Role.GLOBAL_ADMIN, name=ADMIN)
    rollout = RolloutFactory(region_id=region("de").id, slug="keys")
    EnrollmentFactory.create_batch(3, rollout=rollout)
    db.session.commit()
    sign_in(page, ADMIN)
    page.goto("/r/de/")
    seen = 0
    for _ in range(40):
        page.keyboard.press("Tab")
        tag, style, width = page.evaluate(
            "() => { const s = getComputedStyle(document.activeElement);"
            " return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; }"
        )
        if tag == "BODY":  # past the last control: focus left the page
            break
        seen += 1
        assert style != "none" and width != "0px", (tag, style, width)
    assert seen >= 15  # skip link, navigation, region switcher, the page's links and forms


def test_form_errors_say_what_to_do_and_point_at_their_field(page: Any) -> None:
    staff(Role.GLOBAL_ADMIN, name=ADMIN)
    RolloutFactory(region_id=region("de").id, slug="errors")
    db.session.commit()
    sign_in(page, ADMIN)

    page.goto("/programs/new")
    page.get_by_label("Title", exact=True).fill("Cloud")
    page.locator("#slug").fill("Not A Slug")
    page.locator("#provider").fill("Open edX")
    page.get_by_label("Course link", exact=True).fill("http://insecure.example.com")
    page.locator("#term-0-title").fill("Basics")
    page.locator("#term-0-starts_on").fill("2027-01-10")
    page.locator("#term-0-ends_on").fill("2027-01-01")
    page.locator("#module-0-key").fill("m1")
    page.locator("#module-0-title").fill("Basics")
    page.get_by_role("button", name="Save the program").click()
    page.get_by_role("alert").wait_for()
    for field, advice in (
        ("#slug", "e.g. cloud-2026"),
        ("#course_url", "must start with https://"),
        ("#term-0-ends_on", "ends before it starts"),
        ("#module-0-hours", "more than 0"),
        ("#module-0-due", "Choose the term"),
    ):
        control = page.locator(field)
        assert control.get_attribute("aria-invalid") == "true", field
        described = control.get_attribute("aria-describedby").split()
        text = " ".join(page.locator(f"#{i}").text_content() for i in described)
        assert advice in text, (field, text)
    assert axe_violations(page) == []

    page.goto("/r/de/rollouts/errors/roster")
    page.evaluate("document.querySelector('#file').removeAttribute('required')")
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_role("alert").wait_for()
    assert "Choose the roster file" in page.get_by_role("alert").text_content()
    assert axe_violations(page) == []
