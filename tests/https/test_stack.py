"""The shipped nginx configuration in front of gunicorn, as deployed: TLS, the redirect
from plain HTTP, the headers Summit adds behind it, and the one hop it trusts."""

from __future__ import annotations

import http.client

import pytest
import requests

from app.freshlinks import routes as link_routes

pytestmark = pytest.mark.https


def test_tls_with_the_certificate_and_summits_headers(stack) -> None:
    response = requests.get(f"{stack.base_url}/healthz", verify=stack.ca_file, timeout=5)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert response.headers["X-Frame-Options"] == "DENY"
    # a client that does not trust the test CA is refused: TLS is real
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{stack.base_url}/healthz", timeout=5)


def test_plain_http_is_sent_to_https(stack) -> None:
    connection = http.client.HTTPConnection(stack.host, stack.http_port, timeout=5)
    connection.request("GET", "/approvals/decide/abc", headers={"Host": stack.host})
    response = connection.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == f"https://{stack.host}/approvals/decide/abc"
    connection.close()


def test_a_forged_forwarded_for_does_not_make_a_new_client(stack) -> None:
    """nginx replaces X-Forwarded-For: a client cannot spread its attempts over names."""
    with requests.Session() as session:
        codes = [
            session.get(
                f"{stack.base_url}/links/fresh/p/x",
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
                verify=stack.ca_file,
                timeout=5,
            ).status_code
            for i in range(link_routes.TOKEN_REQUESTS_PER_MINUTE + 2)
        ]
    assert codes[-1] == 429
