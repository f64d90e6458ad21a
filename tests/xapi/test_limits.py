"""xAPI requests are bounded (issue 18): the body, each statement, and how deep its JSON
nests; deep nesting was a RecursionError, a 500. Nothing is stored from a refused request."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.progress.models import XapiStatement
from app.xapi.credentials import issue_credentials
from app.xapi.routes import XAPI_MAX_BODY, XAPI_MAX_DEPTH
from tests.progress.helpers import make_course, statement


@pytest.fixture
def post(client):
    rollout = make_course().rollout
    key, secret = issue_credentials(region=rollout.region, rollout=rollout)
    db.session.commit()
    headers = {
        "Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
        "X-Experience-API-Version": "1.0.3",
    }

    def _post(body: bytes | str):
        return client.post(
            "/xapi/statements", data=body, content_type="application/json", headers=headers
        )

    return _post


def _stored() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(XapiStatement))


def _json(value) -> str:
    return json.dumps(value)


def test_deeply_nested_json_is_a_400(post) -> None:
    response = post("[" * 100_000 + "]" * 100_000)
    assert response.status_code == 400 and "JSON" in response.json["error"]
    nested = statement(sid=str(uuid.uuid4()))
    inner: dict = {}
    nested["result"] = {"extensions": {"https://example.com/x": inner}}
    for _ in range(XAPI_MAX_DEPTH):
        inner["a"] = {}
        inner = inner["a"]
    response = post(_json(nested))
    assert response.status_code == 400 and "nested" in response.json["error"]
    assert _stored() == 0


def test_a_statement_too_large_is_a_400(post) -> None:
    big = statement(sid=str(uuid.uuid4()))
    big["result"] = {"response": "x" * 100_000}
    response = post(_json([statement(sid=str(uuid.uuid4())), big]))
    assert response.status_code == 400 and "statement 1" in response.json["error"]
    assert _stored() == 0


def test_a_body_too_large_is_a_413(post) -> None:
    response = post(b"[" + b" " * XAPI_MAX_BODY + b"]")
    assert response.status_code == 413 and "MB" in response.json["error"]
    assert _stored() == 0


def test_an_ordinary_batch_still_goes_through(post) -> None:
    batch = [statement(sid=str(uuid.uuid4())) for _ in range(50)]
    assert post(_json(batch)).status_code == 200
    assert _stored() == 50
