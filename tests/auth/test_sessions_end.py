"""Sessions that end (issue 18): signing out, or losing a role, ends the person's sessions
server-side; a copy of the old cookie opens nothing afterwards. Flask's signed-cookie
sessions stayed valid after sign-out until they expired."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from app.auth.models import Role, StaffUser
from app.extensions import db
from tests.auth.conftest import fresh_csrf
from tests.factories import staff


def _cookie(client: Any) -> str:
    return client.get_cookie("session").value


def _with_cookie(app: Any, value: str) -> Any:
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def test_a_copied_cookie_is_worthless_after_sign_out(make_app) -> None:
    development = make_app(env="development")
    client = development.test_client()
    lead = staff(Role.LOCAL_LEAD, "de", name="Lara Lead")
    db.session.commit()
    page = client.get("/auth/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/auth/dev-sign-in", data={"csrf_token": csrf, "user_id": lead.id})
    assert client.get("/r/de/").status_code == 200
    stolen = _cookie(client)
    assert _with_cookie(development, stolen).get("/r/de/").status_code == 200
    page = client.get("/r/de/").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/auth/sign-out", data={"csrf_token": csrf}).status_code == 302
    replay = _with_cookie(development, stolen).get("/r/de/")
    assert replay.status_code == 401  # signed out (a browser is sent to the sign-in page)
    # signing in again starts a session that works
    page = client.get("/auth/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/auth/dev-sign-in", data={"csrf_token": csrf, "user_id": lead.id})
    assert client.get("/r/de/").status_code == 200


def test_a_revoked_role_ends_the_other_sessions(
    app: Any, client: Any, fake_entra: Any, entra_sign_in: Any
) -> None:
    fake_entra.user["roles"] = ["Summit.LocalLead.DE", "Summit.Sponsor.FR"]
    entra_sign_in()
    laptop = _cookie(client)
    assert _with_cookie(app, laptop).get("/r/fr/").status_code == 200
    client.post("/auth/sign-out", data={"csrf_token": fresh_csrf(client)})
    entra_sign_in()  # the phone signs in: both roles still held
    phone = _cookie(client)
    fake_entra.user["roles"] = ["Summit.LocalLead.DE"]  # Sponsor.FR revoked in Entra ID
    with app.test_client() as tablet:
        tablet.set_cookie("session", phone)
        assert tablet.get("/r/fr/").status_code == 200
    client.set_cookie("session", "")
    entra_sign_in()  # the next sign-in learns of the revocation
    user = db.session.scalars(select(StaffUser)).one()
    assert {r.role for r in user.roles} == {Role.LOCAL_LEAD}
    old = _with_cookie(app, phone).get("/r/de/")
    assert old.status_code == 401
    assert client.get("/r/de/").status_code == 200  # the session that learnt it goes on
