"""Staff sign-in with Entra ID against the fake identity provider."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.auth.access import SESSION_USER_KEY
from app.auth.models import Role, RoleAssignment, StaffUser
from app.extensions import db
from tests.auth.conftest import fresh_csrf
from tests.factories import region, staff


def _session(client: Any) -> dict[str, Any]:
    with client.session_transaction() as session:
        return dict(session)


def test_sign_in_page_offers_microsoft_and_no_dev_sign_in(client: Any, fake_entra: Any) -> None:
    staff(Role.LOCAL_LEAD, "de", name="Demo Person")
    db.session.commit()
    page = client.get("/auth/sign-in").get_data(as_text=True)
    assert "Sign in with Microsoft" in page
    assert "Development sign-in" not in page
    assert "Demo Person" not in page
    assert client.post("/auth/dev-sign-in", data={"user_id": 1}).status_code in (400, 404)


def test_first_sign_in_provisions_staff_with_mapped_roles(
    client: Any, fake_entra: Any, entra_sign_in: Any
) -> None:
    fake_entra.user["roles"] = ["Summit.LocalLead.DE", "Summit.Sponsor.FR", "Unrelated.Role"]
    response = entra_sign_in(next_url="/r/de/")
    assert response.status_code == 302
    assert response.location == "/r/de/"
    user = db.session.scalars(select(StaffUser)).one()
    assert user.email == "alice@contoso.example"
    assert user.entra_oid == fake_entra.user["oid"]
    assert {(ra.region_id, ra.role, ra.source) for ra in user.roles} == {
        (region("de").id, Role.LOCAL_LEAD, "entra"),
        (region("fr").id, Role.SPONSOR, "entra"),
    }
    assert _session(client)[SESSION_USER_KEY] == user.id
    assert client.get("/").status_code == 200


def test_next_sign_in_follows_role_changes_but_keeps_admin_roles(
    client: Any, fake_entra: Any, entra_sign_in: Any
) -> None:
    existing = staff(Role.EXPERT, "in", email="alice@contoso.example", name="Alice")
    db.session.commit()
    entra_sign_in()
    fake_entra.user["roles"] = ["Summit.HRPartner.DE"]
    out = client.post("/auth/sign-out", data={"csrf_token": fresh_csrf(client)})
    assert out.status_code == 302, out.get_data(as_text=True)[-600:]
    entra_sign_in()
    db.session.expire_all()
    roles = {(ra.role, ra.source) for ra in db.session.get(StaffUser, existing.id).roles}
    assert roles == {(Role.EXPERT, "admin"), (Role.HR_PARTNER, "entra")}
    assert db.session.scalars(select(StaffUser)).all() == [existing]  # linked by email


def test_group_ids_map_too_and_global_admin_comes_from_settings(
    client: Any, fake_entra: Any, entra_sign_in: Any
) -> None:
    fake_entra.user["roles"] = ["Summit.GlobalAdmin"]
    entra_sign_in()
    user = db.session.scalars(select(StaffUser)).one()
    assert user.is_global_admin
    page = client.get("/auth/entra/roles").get_data(as_text=True)
    assert "Summit.LocalLead.DE" in page and "Summit.GlobalAdmin" in page


def test_no_mapped_role_shows_no_access_page_and_creates_nobody(
    client: Any, fake_entra: Any, entra_sign_in: Any
) -> None:
    fake_entra.user["roles"] = []
    response = entra_sign_in()
    assert response.status_code == 403
    assert "You have no access to Summit yet" in response.get_data(as_text=True)
    assert db.session.scalars(select(StaffUser)).all() == []
    assert SESSION_USER_KEY not in _session(client)
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 302


def test_sign_in_starts_a_new_session(client: Any, fake_entra: Any, entra_sign_in: Any) -> None:
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    entra_sign_in()
    after = _session(client)
    assert "planted" not in after
    assert after.get("entra_cache_id")


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("signature", "Signature verification failed"),
        ("wrong_key", "Signature verification failed"),
        ("audience", "Audience doesn't match"),
        ("expired", "Signature has expired"),
        ("nonce", "nonce"),
        ("issuer", "expected 'https://127.0.0.1"),
        ("state", "state"),
    ],
)
def test_a_bad_response_is_refused(
    client: Any,
    fake_entra: Any,
    entra_sign_in: Any,
    caplog: pytest.LogCaptureFixture,
    tamper: str,
    reason: str,
) -> None:
    fake_entra.tamper = tamper
    with caplog.at_level("WARNING", logger="app.auth.routes"):
        response = entra_sign_in()
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1 and reason in refusals[0], refusals
    assert response.status_code == 400
    assert "could not be completed" in response.get_data(as_text=True)
    assert SESSION_USER_KEY not in _session(client)
    assert db.session.scalars(select(RoleAssignment)).all() == []


def test_a_replayed_callback_is_refused(client: Any, fake_entra: Any, entra_sign_in: Any) -> None:
    import re

    import requests

    token = fresh_csrf(client)
    start = client.post("/auth/entra/sign-in", data={"csrf_token": token})
    callback = requests.get(
        start.location, verify=fake_entra.ca_path, allow_redirects=False, timeout=10
    )
    path = re.sub(r"^http://summit\.test", "", callback.headers["Location"])
    assert client.get(path).status_code == 302
    client.post("/auth/sign-out", data={"csrf_token": fresh_csrf(client)})
    assert client.get(path).status_code == 400


def test_a_callback_without_a_started_sign_in_is_refused(client: Any, fake_entra: Any) -> None:
    response = client.get("/auth/entra/callback?code=abc&state=xyz")
    assert response.status_code == 400


def test_sign_out_ends_the_session_and_the_server_side_tokens(
    client: Any, fake_entra: Any, entra_sign_in: Any
) -> None:
    from app.tasks import get_redis

    entra_sign_in()
    cache_id = _session(client)["entra_cache_id"]
    assert get_redis().exists(f"summit:entra:cache:{cache_id}")
    response = client.post("/auth/sign-out", data={"csrf_token": fresh_csrf(client)})
    assert response.status_code == 302
    assert response.location.startswith(f"{fake_entra.authority}/oauth2/v2.0/logout?")
    assert "post_logout_redirect_uri=http%3A%2F%2Fsummit.test%2Fauth%2Fsign-in" in response.location
    assert SESSION_USER_KEY not in _session(client)
    assert not get_redis().exists(f"summit:entra:cache:{cache_id}")


def test_token_cache_stays_server_side(client: Any, fake_entra: Any, entra_sign_in: Any) -> None:
    entra_sign_in()
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert "refresh" not in cookie.value and "verifier" not in cookie.value


def test_a_reused_email_does_not_inherit_another_account(
    client: Any, fake_entra: Any, entra_sign_in: Any
) -> None:
    previous = staff(Role.GLOBAL_ADMIN, None, email="alice@contoso.example")
    previous.entra_oid = "oid-of-the-alice-who-left"
    db.session.commit()
    response = entra_sign_in()
    assert response.status_code == 403
    assert SESSION_USER_KEY not in _session(client)
    assert db.session.get(StaffUser, previous.id).entra_oid == "oid-of-the-alice-who-left"


def test_the_session_token_cache_gives_delegated_tokens(
    client: Any, fake_entra: Any, entra_sign_in: Any
) -> None:
    from flask import session

    from app.microsoft.entra import delegated_token

    entra_sign_in()
    cache_id = _session(client)["entra_cache_id"]
    with client.application.test_request_context("/"):
        session["entra_cache_id"] = cache_id
        token = delegated_token(["User.Read"])
    assert token is not None and token.startswith("user-")


def test_forms_may_go_on_to_the_authority(client: Any, fake_entra: Any) -> None:
    """Sign-in and sign-out post to Summit, which redirects to Entra ID: browsers apply
    ``form-action`` to that redirect, so the policy must name the authority's origin."""
    policy = client.get("/auth/sign-in").headers["Content-Security-Policy"]
    assert f"form-action 'self' {fake_entra.base};" in policy
    assert "default-src 'self';" in policy
