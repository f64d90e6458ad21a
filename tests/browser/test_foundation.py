import pytest

from app.auth.models import Role
from app.extensions import db
from tests.browser.conftest import axe_violations, sign_in
from tests.factories import EnrollmentFactory, RolloutFactory, region, staff

pytestmark = pytest.mark.browser


def test_a_lead_signs_in_sees_their_region_and_nothing_else(page, steps):
    rollout = RolloutFactory(
        region_id=region("de").id, program__title="Software Engineer of the Future"
    )
    EnrollmentFactory.create_batch(5, rollout=rollout)
    staff(Role.LOCAL_LEAD, "de", name="Marion Kremer")
    RolloutFactory(region_id=region("fr").id, program__title="Programme français")
    db.session.commit()

    sign_in(page, "Marion Kremer")
    steps.shot("overview")
    assert page.get_by_role("heading", name="Germany").is_visible()
    assert page.get_by_text("Programme français").count() == 0
    assert axe_violations(page) == []

    # exact: the inbox above links "5 learners without a manager: Software Engineer…"
    page.get_by_role("link", name="Software Engineer of the Future", exact=True).click()
    page.wait_for_load_state()
    steps.shot("rollout")
    # a draft: the way to launch, not a funnel of zeros (issue 24)
    assert page.get_by_role("heading", name="From draft to launch").is_visible()
    assert page.get_by_role("heading", name="Funnel").count() == 0
    assert axe_violations(page) == []

    page.goto("/r/fr/")
    assert "Not found" in page.content()


def test_keyboard_reaches_the_main_content(page):
    staff(Role.GLOBAL_ADMIN, name="Grace Hopper-Lee")
    db.session.commit()
    sign_in(page, "Grace Hopper-Lee")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Skip to content" in focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
