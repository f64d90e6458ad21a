"""Each role lands on its own home in Chromium and finds what needs it there (issue 24,
"A home per role with an action inbox"), with no serious or critical axe-core violation;
a screenshot of every home is kept under test-artifacts/browser/role-homes/."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth.models import Role
from app.demo.services import seed_demo
from app.extensions import db
from tests.browser.conftest import ARTIFACTS, axe_violations, keep_screenshot, sign_in
from tests.factories import staff

pytestmark = pytest.mark.browser

FOLDER = ARTIFACTS / "role-homes"


def _kinds(page: Any) -> list[str]:
    return page.eval_on_selector_all("li.inbox-item", "items => items.map(i => i.dataset.kind)")


def _land(page: Any, name: str, shot: str) -> list[str]:
    sign_in(page, name)
    response = page.goto("/")
    assert response is not None and response.status == 200
    assert axe_violations(page, impact=("minor", "moderate", "serious", "critical")) == []
    FOLDER.mkdir(parents=True, exist_ok=True)
    keep_screenshot(page, FOLDER / f"{shot}.png")
    return _kinds(page)


@pytest.fixture
def demo() -> None:
    seed_demo()
    staff(Role.SPONSOR, name="Gloria Global", email="gloria.global@example.com")
    db.session.commit()


def test_the_local_lead_finds_their_inbox(page: Any, demo: None) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    kinds = _land(page, "Marion Kremer", "local-lead")
    assert "next-call" in kinds
    assert {"approvals", "reviews", "no_manager", "no_buddy", "stale"} & set(kinds)
    for item in page.locator("li.inbox-item").all():
        assert item.locator(".badge").count() == 1
        assert item.locator("a[href]").count() == 1
    # every item leads to the page where it is dealt with, in the lead's own region
    hrefs = page.eval_on_selector_all("li.inbox-item a", "links => links.map(a => a.href)")
    assert all("/r/de/" in h for h in hrefs), hrefs
    first = page.locator("li.inbox-item a").first
    first.click()
    page.wait_for_load_state()
    assert page.url != page.url.split("/r/")[0] + "/"


@pytest.mark.parametrize(
    ("name", "shot"), [("Stefan Brandt", "expert"), ("Petra Vogel", "hr-partner")]
)
def test_the_expert_and_hr_partner_find_their_next_call(
    page: Any, demo: None, name: str, shot: str
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    _land(page, name, shot)
    heading = page.locator("#host-calls")
    assert heading.is_visible()
    assert page.locator("[data-kind=host-call]").count() >= 1
    assert page.locator("[data-kind=host-call] a[href*='/calls/']").count() >= 1


def test_the_global_admin_finds_every_region_sortable_with_a_chart(page: Any, demo: None) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    _land(page, "Grace Hopper-Lee", "global-admin")
    table = page.locator("table#league")
    assert table.locator("tbody tr").count() >= 4  # the demo's four regions
    assert table.locator("th[aria-sort=descending]").inner_text().startswith("Completion")
    table.locator("th", has_text="Region").locator("a").click()
    page.wait_for_load_state()
    assert "sort=region" in page.url
    assert table.locator("th[aria-sort=descending]").inner_text().startswith("Region")
    assert page.locator("figure.chart svg[role=img]").count() == 1
    assert axe_violations(page, impact=("minor", "moderate", "serious", "critical")) == []


def test_the_region_sponsor_reads_their_report_on_the_web(page: Any, demo: None) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    kinds = _land(page, "Dr. Klaus Hartmann", "sponsor")
    assert "You have no region yet" not in page.content()
    assert "report" in kinds
    page.locator("li.inbox-item[data-kind=report] a").first.click()
    page.wait_for_load_state()
    assert "/r/de/reports/" in page.url


def test_the_global_sponsor_reads_the_league_of_regions(page: Any, demo: None) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    kinds = _land(page, "Gloria Global", "global-sponsor")
    assert "You have no region yet" not in page.content()
    assert "report" in kinds
    league = page.locator("table#regions-league")
    assert league.locator("tbody tr").count() == 4  # the demo's four regions
    assert league.locator("th[aria-sort=descending]").inner_text().startswith("Completion")
    link = page.locator("li.inbox-item[data-kind=report] a[href*='/reports/global/']")
    assert link.count() == 1
    link.click()
    page.wait_for_load_state()
    assert "/reports/global/" in page.url
