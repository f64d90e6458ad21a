import re
from typing import Any

import pytest

from app import create_app
from app.auth.models import Role
from tests.factories import staff


@pytest.fixture
def client(make_app: Any) -> Any:
    """A client of the app in development mode (SUMMIT_ENV=development, set explicitly)."""
    return make_app(env="development").test_client()


def _sign_in(client, user_id, next_path=""):
    html = client.get("/auth/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return client.post(
        "/auth/dev-sign-in", data={"csrf_token": token, "user_id": user_id, "next": next_path}
    )


def test_dev_sign_in_lists_staff_and_signs_in(client):
    lead = staff(Role.LOCAL_LEAD, "de", name="Marion Kremer")
    from app.extensions import db

    db.session.commit()
    html = client.get("/auth/sign-in").get_data(as_text=True)
    assert "Marion Kremer" in html and "Local lead (Germany)" in html
    response = _sign_in(client, lead.id, "/r/de/")
    assert response.status_code == 302 and response.headers["Location"] == "/r/de/"
    assert client.get("/r/de/").status_code == 200
    assert client.get("/r/fr/").status_code == 404


def test_sign_in_never_redirects_off_site(client):
    lead = staff(Role.LOCAL_LEAD, "de")
    from app.extensions import db

    db.session.commit()
    response = _sign_in(client, lead.id, "//evil.example.com/")
    assert response.headers["Location"] == "/"


def test_sign_in_post_without_csrf_is_refused(client):
    lead = staff(Role.LOCAL_LEAD, "de")
    from app.extensions import db

    db.session.commit()
    response = client.post("/auth/dev-sign-in", data={"user_id": lead.id})
    assert response.status_code == 400
    assert client.get("/r/de/").status_code in (302, 401)


def test_no_dev_sign_in_in_production(app_settings):
    prod = create_app({**app_settings, "env": "production", "secret_key": "s" * 40})
    client = prod.test_client()
    html = client.get("/auth/sign-in").get_data(as_text=True)
    assert "Development sign-in" not in html
    assert client.post("/auth/dev-sign-in", data={"user_id": 1}).status_code in (400, 404)


def test_no_dev_sign_in_when_entra_is_configured(app_settings):
    entra = create_app(
        {**app_settings, "entra_tenant_id": "t", "entra_client_id": "c", "entra_client_secret": "s"}
    )
    assert "Development sign-in" not in entra.test_client().get("/auth/sign-in").get_data(
        as_text=True
    )


def test_sign_out_ends_the_session(client, login_as):
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post("/auth/sign-out", data={"csrf_token": token})
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 302
