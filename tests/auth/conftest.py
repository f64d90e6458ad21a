"""Entra ID fixtures: the fake identity provider and Graph, and the app configured for them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import requests

from tests.auth.fake_entra import CLIENT_ID, CLIENT_SECRET, TENANT, FakeEntra, start_fake_entra


@pytest.fixture(scope="session")
def fake_entra_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeEntra]:
    fake, server = start_fake_entra(tmp_path_factory.mktemp("entra"))
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_entra(app: Any, fake_entra_server: FakeEntra, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The app, for this test, with Entra ID pointing at the fake (fresh caches)."""
    from app.microsoft import entra

    fake_entra_server.reset()
    settings = replace(
        app.extensions["summit.settings"],
        entra_tenant_id=TENANT,
        entra_client_id=CLIENT_ID,
        entra_client_secret=CLIENT_SECRET,
        entra_authority=fake_entra_server.authority,
        entra_ca_bundle=fake_entra_server.ca_path,
        entra_graph_url=f"{fake_entra_server.base}/v1.0",
        entra_mail_mailbox="summit@contoso.example",
        entra_teams_organizer="organizer@contoso.example",
    )
    monkeypatch.setitem(app.extensions, "summit.settings", settings)
    entra.reset()
    yield fake_entra_server
    entra.reset()


def fresh_csrf(client: Any) -> str:
    """A CSRF token for the client's current session.

    Tests share one app context, so Flask-WTF's per-context cache (``g.csrf_token``)
    would hand out the token of a session that a sign-in has since replaced.
    """
    from flask import g

    g.pop("csrf_token", None)
    page = client.get("/auth/sign-in").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


@pytest.fixture
def entra_sign_in(client: Any, fake_entra: FakeEntra) -> Any:
    """Go through the whole sign-in as the fake's current user; return the callback response."""

    def _sign_in(next_url: str = "") -> Any:
        token = fresh_csrf(client)
        start = client.post("/auth/entra/sign-in", data={"csrf_token": token, "next": next_url})
        assert start.status_code == 302, start.get_data(as_text=True)
        assert start.location.startswith(fake_entra.authority)
        # the browser at the identity provider: it answers with a redirect back to Summit
        idp = requests.get(
            start.location, verify=fake_entra.ca_path, allow_redirects=False, timeout=10
        )
        assert idp.status_code == 302
        callback = idp.headers["Location"]
        assert callback.startswith("http://summit.test/auth/entra/callback?")
        return client.get(re.sub(r"^http://summit\.test", "", callback))

    return _sign_in
