"""The signed-in identity is read fresh on every request: a role change, a deactivation
or a sign-out counts from the very next request, and region scoping still applies."""

from __future__ import annotations

import re

from sqlalchemy import delete

from app.auth.models import Role, RoleAssignment
from app.extensions import db
from tests.factories import region, staff


def _set_roles(user, *roles: tuple[Role, str | None]) -> None:
    db.session.execute(delete(RoleAssignment).where(RoleAssignment.user_id == user.id))
    for role, code in roles:
        db.session.add(
            RoleAssignment(user_id=user.id, role=role, region_id=region(code).id if code else None)
        )
    db.session.commit()


def test_a_role_taken_away_is_refused_on_the_next_request(client, login_as):
    lead = staff(Role.LOCAL_LEAD, "de")
    login_as(lead)
    assert client.get("/r/de/approvals/").status_code == 200
    _set_roles(lead, (Role.SPONSOR, "de"))
    assert client.get("/r/de/approvals/").status_code == 403
    assert client.get("/r/de/").status_code == 200  # a sponsor still reads the region


def test_a_region_taken_away_is_404_on_the_next_request(client, login_as):
    lead = staff(Role.LOCAL_LEAD, "de")
    login_as(lead)
    assert client.get("/r/de/").status_code == 200
    _set_roles(lead, (Role.LOCAL_LEAD, "fr"))
    assert client.get("/r/de/").status_code == 404
    assert client.get("/r/fr/").status_code == 200


def test_another_region_is_404(client, login_as):
    login_as(staff(Role.LOCAL_LEAD, "de"))
    assert client.get("/r/fr/").status_code == 404
    assert client.get("/r/fr/approvals/").status_code == 404
    assert client.get("/r/fr/reports/").status_code == 404


def test_the_region_switcher_lists_only_the_users_regions(client, login_as):
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get("/r/de/").get_data(as_text=True)
    switcher = re.search(r'<select id="region-switch".*?</select>', html, re.S).group(0)
    assert 'value="de"' in switcher
    assert 'value="fr"' not in switcher


def test_a_global_admin_granted_now_sees_every_region_on_the_next_request(client, login_as):
    user = staff(Role.LOCAL_LEAD, "de")
    login_as(user)
    assert client.get("/r/fr/").status_code == 404
    _set_roles(user, (Role.GLOBAL_ADMIN, None))
    assert client.get("/r/fr/").status_code == 200


def test_a_deactivated_account_is_signed_out_on_the_next_request(client, login_as):
    lead = staff(Role.LOCAL_LEAD, "de")
    login_as(lead)
    assert client.get("/r/de/").status_code == 200
    lead.active = False
    db.session.commit()
    assert client.get("/r/de/", headers={"Accept": "text/html"}).status_code == 302
    lead.active = True
    db.session.commit()
    # the session was cleared: reactivation does not sign the old session back in
    assert client.get("/r/de/", headers={"Accept": "text/html"}).status_code == 302


def test_after_sign_out_region_pages_ask_for_sign_in(client, login_as):
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get("/r/de/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post("/auth/sign-out", data={"csrf_token": token})
    assert client.get("/r/de/", headers={"Accept": "text/html"}).status_code == 302
    assert client.get("/r/de/approvals/", headers={"Accept": "application/json"}).status_code == 401


def test_views_that_act_still_get_the_staff_model(app):
    from flask import g, session

    from app.auth.access import SESSION_USER_KEY, _before_request, current_staff

    lead = staff(Role.LOCAL_LEAD, "de")
    db.session.commit()
    with app.test_request_context("/r/de/"):
        session[SESSION_USER_KEY] = lead.id
        _before_request()
        assert g.identity.name == lead.name
        assert g.identity.roles_in(region("de").id) == {Role.LOCAL_LEAD}
        assert current_staff() is current_staff()
        assert current_staff().id == lead.id
