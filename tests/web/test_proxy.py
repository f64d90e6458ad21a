"""Behind a reverse proxy: ``X-Forwarded-*`` counts only from the configured number of
trusted hops; cookies are Secure over HTTPS; HSTS when the base URL is https (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from app.auth.models import Role
from app.extensions import db
from app.freshlinks.routes import TOKEN_REQUESTS_PER_MINUTE as LIMIT
from app.settings import Settings, SettingsError
from tests.factories import staff


@pytest.fixture
def someone() -> None:
    """A staff member, so the sign-in page has a form (and so a CSRF token in the session)."""
    staff(Role.GLOBAL_ADMIN)
    db.session.commit()


def _client(make_app: Any, **overrides: Any) -> Any:
    # development: the sign-in page then has a form, and so a session to send
    return make_app(**{"env": "development", **overrides}).test_client()


def _token_hits(client: Any, n: int, forwarded_for: str | None = None) -> list[int]:
    codes = []
    for i in range(n):
        headers = {"X-Forwarded-For": forwarded_for or f"203.0.113.{i}"}
        codes.append(client.get("/links/fresh/p/x", headers=headers).status_code)
    return codes


def test_without_trusted_hops_a_forged_forwarded_for_does_not_dodge_the_limit(make_app) -> None:
    client = _client(make_app)
    with time_machine.travel(datetime.now(UTC), tick=False):  # one rate-limit window
        assert _token_hits(client, LIMIT + 2)[LIMIT:] == [429, 429]


def test_with_one_trusted_hop_the_proxy_names_the_client(make_app) -> None:
    client = _client(make_app, trusted_proxy_hops=1)
    with time_machine.travel(datetime.now(UTC), tick=False):  # one rate-limit window
        assert _token_hits(client, LIMIT + 2) == [200] * (LIMIT + 2)  # clients behind the proxy
        hits = _token_hits(client, LIMIT + 2, forwarded_for="198.51.100.7")
    assert hits[LIMIT:] == [429, 429]


def test_the_scheme_comes_from_a_trusted_proxy_only(make_app, someone) -> None:
    headers = {"X-Forwarded-Proto": "https"}
    trusted = _client(make_app, trusted_proxy_hops=1)
    cookie = trusted.get("/auth/sign-in", headers=headers).headers.get("Set-Cookie", "")
    assert "session=" in cookie and "Secure" in cookie
    untrusted = _client(make_app)
    cookie = untrusted.get("/auth/sign-in", headers=headers).headers.get("Set-Cookie", "")
    assert "session=" in cookie and "Secure" not in cookie


def test_cookies_are_secure_over_https(make_app, someone) -> None:
    client = _client(make_app)
    cookie = client.get("/auth/sign-in", base_url="https://summit.test").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_hsts_only_when_the_base_url_is_https(make_app) -> None:
    assert "Strict-Transport-Security" not in _client(make_app).get("/healthz").headers
    client = _client(make_app, base_url="https://summit.example.com")
    hsts = client.get("/healthz", base_url="https://summit.example.com").headers
    assert hsts["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("value", ["-1", "many", "11"])
def test_a_bad_hop_count_is_refused_at_start(value) -> None:
    with pytest.raises(SettingsError, match="SUMMIT_TRUSTED_PROXY_HOPS"):
        Settings.from_env({"SUMMIT_ENV": "test", "SUMMIT_TRUSTED_PROXY_HOPS": value})
