"""The anonymous start of an Entra ID sign-in cannot fill Redis (issue 18): a POST with
CSRF, one pending flow per browser session, and a cap per client address."""

from __future__ import annotations

from typing import Any

from app.auth import routes as auth_routes
from app.tasks import get_redis
from tests.auth.conftest import fresh_csrf


def _flows() -> int:
    return len(list(get_redis().scan_iter("summit:entra:flow:*")))


def test_a_session_holds_one_pending_flow(client: Any, fake_entra: Any) -> None:
    token = fresh_csrf(client)
    for _ in range(5):
        assert client.post("/auth/entra/sign-in", data={"csrf_token": token}).status_code == 302
    assert _flows() == 1


def test_starting_without_csrf_is_refused(client: Any, fake_entra: Any) -> None:
    assert client.post("/auth/entra/sign-in").status_code == 400
    assert _flows() == 0


def test_one_client_cannot_start_flows_without_end(
    app: Any, client: Any, fake_entra: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(auth_routes, "SIGN_IN_STARTS_PER_MINUTE", 3)
    codes = []
    for _ in range(5):  # a new browser each time: no cookie, a new session
        fresh = app.test_client()
        codes.append(fresh.post("/auth/entra/sign-in", data={"csrf_token": fresh_csrf(fresh)}))
    assert [r.status_code for r in codes] == [302, 302, 302, 429, 429]
    assert _flows() == 3
