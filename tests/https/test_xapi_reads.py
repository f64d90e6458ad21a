"""A course platform's statements and a reader's pages through the stack a company deploys
(nginx with TLS in front of gunicorn, ``SUMMIT_ENV=production``): the LRS as a platform
and a Learning Record Consumer meet it, over HTTPS, with the rollout's Basic credentials.

The statements have the shape of the cmi5 example of the xAPI specification
(adlnet/xAPI-Spec, ``xAPI-About.md``, Appendix B: an account actor, a cmi5 ``category``
and session extension, a registration, ``result.duration`` and the cmi5 progress
extension, a timestamp with an offset), one per learner and session.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote

import pytest
import requests

from app.xapi.credentials import issue_credentials
from tests.https.stack import Stack
from tests.progress.helpers import IRI, make_course

pytestmark = [pytest.mark.https]

COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
PROGRESSED = "http://adlnet.gov/expapi/verbs/progressed"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
HOME = "https://lms.example.com"


def _cmi5(n: int, employee_id: str) -> dict[str, Any]:
    done = n % 3 == 0
    return {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "name": f"Learner {employee_id}",
            "account": {"homePage": HOME, "name": employee_id},
        },
        "verb": {
            "id": COMPLETED if done else PROGRESSED,
            "display": {"en-US": "completed" if done else "progressed"},
        },
        "object": {
            "id": IRI,
            "objectType": "Activity",
            "definition": {"name": {"en-US": "Event-driven design"}},
        },
        "result": {
            "completion": done,
            "duration": f"PT{10 + n}M",
            "extensions": {PROGRESS: 100 if done else 10 + n % 80},
        },
        "context": {
            "registration": str(uuid.uuid4()),
            "contextActivities": {"category": [{"id": CMI5}]},
            "extensions": {SESSION: str(4582402983 + n)},
        },
        "timestamp": f"2026-11-{1 + n % 28:02d}T19:09:13.245+01:00",
    }


def _pages(session: requests.Session, stack: Stack, path: str) -> list[list[dict[str, Any]]]:
    """Every page of a list, following each ``more`` link through nginx."""
    pages = []
    while path:
        response = session.get(f"{stack.base_url}{path}", timeout=30)
        assert response.status_code == 200, response.text
        assert response.headers["X-Experience-API-Version"].startswith("1.0")
        assert response.headers["X-Experience-API-Consistent-Through"].endswith("Z")
        body = response.json()
        pages.append(body["statements"])
        path = body["more"]
        if path:
            assert path.startswith("/xapi/statements?more=")
    return pages


def test_a_platform_sends_and_a_reader_pages_over_https(stack: Stack, in_stack: Any) -> None:
    with in_stack():
        course = make_course("us", slug="sef-us-xapi-https")
        rollout = course.rollout
        key, secret = issue_credentials(region=rollout.region, rollout=rollout)
        employees = [e.person.employee_id for e in course.enrollments.values()]
    session = requests.Session()
    session.verify = str(stack.ca_file)
    session.trust_env = False  # a CA bundle in the environment would win over verify
    session.auth = (key, secret)
    session.headers["X-Experience-API-Version"] = "1.0.3"

    sent = [_cmi5(n, employees[n % len(employees)]) for n in range(90)]
    for start in range(0, len(sent), 30):
        posted = session.post(f"{stack.base_url}/xapi/statements", json=sent[start : start + 30])
        assert posted.status_code == 200, posted.text
        assert posted.json() == [s["id"] for s in sent[start : start + 30]]
    completed = [s["id"] for s in sent if s["verb"]["id"] == COMPLETED]
    void = {
        "actor": {"objectType": "Agent", "mbox": "mailto:lena.lead@example.com"},
        "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": completed[0]},
    }
    voided = session.post(f"{stack.base_url}/xapi/statements", json=void)
    assert voided.status_code == 200
    void_id = voided.json()[0]

    # everything, newest first, 25 a page: each statement once, as sent plus the LRS's members
    every = [s for page in _pages(session, stack, "/xapi/statements?limit=25") for s in page]
    assert every[0]["id"] == void_id  # the newest
    assert len(every) == len({s["id"] for s in every}) == len(sent)  # 90 - 1 voided + 1 void
    assert {s["id"] for s in every} == {void_id, *(s["id"] for s in sent)} - {completed[0]}
    by_id = {s["id"]: s for s in every}
    for original in sent:
        if original["id"] == completed[0]:
            continue
        read = by_id[original["id"]]
        assert {k: read[k] for k in original} == original  # the statement as it was sent
        assert read["authority"]["account"]["name"] == key
        assert read["stored"].endswith("Z") and read["version"] == "1.0.0"

    # by verb, 7 a page: every completion but the voided one, and the void that targets it
    pages = _pages(session, stack, f"/xapi/statements?verb={COMPLETED}&limit=7")
    assert all(len(page) == 7 for page in pages[:-1])
    listed = [s["id"] for page in pages for s in page]
    assert len(listed) == len(set(listed))
    assert set(listed) == set(completed[1:]) | {void_id}

    # the voided statement is there only when asked for by voidedStatementId
    alone = session.get(
        f"{stack.base_url}/xapi/statements", params={"voidedStatementId": completed[0]}
    )
    assert alone.status_code == 200 and alone.json()["id"] == completed[0]
    # an agent's statements: the learner's own (but the voided one), and the void that
    # targets theirs (the first statement sent was theirs)
    agent = {"objectType": "Agent", "account": {"homePage": HOME, "name": employees[0]}}
    mine = _pages(session, stack, "/xapi/statements?agent=" + quote(json.dumps(agent)))
    theirs = {s["id"] for s in sent if s["actor"]["account"]["name"] == employees[0]}
    assert {s["id"] for page in mine for s in page} == theirs - {completed[0]} | {void_id}
