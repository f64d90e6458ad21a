"""Browser clients: CORS for the origins in XAPI_ALLOWED_ORIGINS, and none for others."""

import dataclasses
import uuid

import pytest

from tests.progress.helpers import statement

ALLOWED = "https://lms.example.com"


@pytest.fixture
def allowed_origins(app):
    old = app.extensions["summit.settings"]
    app.extensions["summit.settings"] = dataclasses.replace(
        old, xapi_allowed_origins=(ALLOWED, "http://localhost:8080")
    )
    yield
    app.extensions["summit.settings"] = old


def preflight(client, path, origin, method="POST"):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type,x-experience-api-version",
        },
    )


@pytest.mark.parametrize("path", ["/xapi/statements", "/xapi/about"])
def test_a_preflight_from_an_allowed_origin_is_answered(client, allowed_origins, path):
    response = preflight(client, path, ALLOWED)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    allowed_headers = response.headers["Access-Control-Allow-Headers"]
    for header in ("Authorization", "Content-Type", "X-Experience-API-Version"):
        assert header in allowed_headers
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_a_preflight_from_another_origin_gets_no_permission(client, allowed_origins):
    response = preflight(client, "/xapi/statements", "https://evil.example.net")
    assert response.status_code == 204
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Methods" not in response.headers


def test_no_origin_is_allowed_by_default(client):
    response = preflight(client, "/xapi/statements", ALLOWED)
    assert "Access-Control-Allow-Origin" not in response.headers


def test_responses_to_an_allowed_origin_expose_the_xapi_headers(lrs, allowed_origins):
    sid = str(uuid.uuid4())
    posted = lrs(statement(sid=sid), headers={"Origin": ALLOWED})
    assert posted.status_code == 200
    assert posted.headers["Access-Control-Allow-Origin"] == ALLOWED
    response = lrs(method="get", query=f"?statementId={sid}", headers={"Origin": ALLOWED})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    exposed = response.headers["Access-Control-Expose-Headers"]
    for header in ("X-Experience-API-Version", "X-Experience-API-Consistent-Through"):
        assert header in exposed
    assert "Last-Modified" in exposed
    assert "Access-Control-Allow-Credentials" not in response.headers
    # errors are readable too, so a browser client can show why
    denied = lrs(method="get", query="?since=soon", headers={"Origin": ALLOWED})
    assert denied.status_code == 400 and denied.headers["Access-Control-Allow-Origin"] == ALLOWED
    other = lrs(method="get", headers={"Origin": "https://evil.example.net"})
    assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other.headers
