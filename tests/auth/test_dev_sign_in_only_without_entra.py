"""The development sign-in, which exists only without Entra ID."""

from __future__ import annotations

from typing import Any

import pytest

from app.auth.access import SESSION_USER_KEY
from app.auth.models import Role
from app.extensions import db
from tests.auth.conftest import fresh_csrf
from tests.factories import staff


@pytest.fixture
def client(make_app: Any) -> Any:
    """A client of the app in development mode (SUMMIT_ENV=development, set explicitly)."""
    return make_app(env="development").test_client()


def test_dev_sign_in_lists_staff_with_their_regions(client: Any) -> None:
    staff(Role.LOCAL_LEAD, "de", name="Dora Lead")
    db.session.commit()
    page = client.get("/auth/sign-in").get_data(as_text=True)
    assert "Development sign-in" in page
    assert "Dora Lead" in page and "Local lead (Germany)" in page
    assert "Sign in with Microsoft" not in page


def test_dev_sign_in_starts_a_new_session(client: Any) -> None:
    user = staff(Role.LOCAL_LEAD, "de")
    db.session.commit()
    with client.session_transaction() as session:
        session["planted"] = "x"
    token = fresh_csrf(client)
    response = client.post("/auth/dev-sign-in", data={"csrf_token": token, "user_id": user.id})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert session[SESSION_USER_KEY] == user.id and "planted" not in session


def test_entra_endpoints_do_not_exist_without_entra(client: Any) -> None:
    assert client.get("/auth/entra/callback?code=x&state=y").status_code == 404
    assert client.get("/auth/entra/verify?next=/").status_code == 404
