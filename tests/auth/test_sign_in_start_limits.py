"""The anonymous start of an Entra ID sign-in cannot fill Redis (issue 18): a POST with
CSRF, one pending flow per browser session, and a cap per client address."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import time_machine

from app.auth.routes import SIGN_IN_STARTS_PER_MINUTE as LIMIT
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


def test_one_client_cannot_start_flows_without_end(app: Any, fake_entra: Any) -> None:
    codes = []
    with time_machine.travel(datetime.now(UTC), tick=False):  # one rate-limit window
        for _ in range(LIMIT + 2):  # a new browser each time: no cookie, a new session
            fresh = app.test_client()
            response = fresh.post("/auth/entra/sign-in", data={"csrf_token": fresh_csrf(fresh)})
            codes.append(response.status_code)
    assert codes == [302] * LIMIT + [429, 429]
    assert _flows() == LIMIT
