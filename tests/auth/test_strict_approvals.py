"""Strict approvals: a decision needs an Entra sign-in as the deciding manager."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import requests
from flask import current_app
from werkzeug.exceptions import HTTPException

from app.auth.strict import require_signed_in_person
from app.extensions import db
from tests.factories import PersonFactory


@pytest.fixture
def strict(fake_entra: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    settings = replace(current_app.extensions["summit.settings"], entra_strict_approvals=True)
    monkeypatch.setitem(current_app.extensions, "summit.settings", settings)
    return fake_entra


def _check(person: Any, identity: dict[str, Any] | None) -> Any:
    """Run the helper in a request; return None or the response it aborted with."""
    import time

    with current_app.test_request_context("/approvals/decide", method="POST"):
        from flask import session

        if identity is not None:
            session["entra_identity"] = {"at": int(time.time()), **identity}
        try:
            require_signed_in_person(person, return_to="/approvals/t/abc")
        except HTTPException as exc:
            return exc.get_response()
    return None


def test_without_the_setting_nothing_is_required(app: Any) -> None:
    manager = PersonFactory(email="mia@contoso.example")
    assert _check(manager, None) is None


def test_a_browser_without_sign_in_is_sent_to_microsoft(strict: Any) -> None:
    manager = PersonFactory(email="mia@contoso.example")
    response = _check(manager, None)
    assert response.status_code == 303
    assert response.location == "/auth/entra/verify?next=/approvals/t/abc"


def test_the_right_person_passes_and_someone_else_is_told(strict: Any) -> None:
    manager = PersonFactory(email="mia@contoso.example")
    assert _check(manager, {"email": "mia@contoso.example"}) is None
    response = _check(manager, {"email": "scanner@contoso.example"})
    assert response.status_code == 403
    assert "scanner@contoso.example" in response.get_data(as_text=True)


def test_verify_signs_the_manager_in_without_a_summit_role(client: Any, strict: Any) -> None:
    manager = PersonFactory(email="mia@contoso.example")
    db.session.commit()
    strict.user = {"oid": "oid-mia", "name": "Mia", "preferred_username": "Mia@Contoso.example"}
    start = client.get("/auth/entra/verify?next=/approvals/t/abc")
    assert start.status_code == 302
    idp = requests.get(start.location, verify=strict.ca_path, allow_redirects=False, timeout=10)
    back = client.get(idp.headers["Location"].removeprefix("http://summit.test"))
    assert back.status_code == 302 and back.location == "/approvals/t/abc"
    with client.session_transaction() as session:
        assert session["entra_identity"]["email"] == "mia@contoso.example"
        assert "staff_user_id" not in session
    assert manager.email == "mia@contoso.example"
