"""A manager's decision over HTTPS, as a browser sends it from the signed-link page: no
Referer (the page keeps its token to itself), an ``Origin`` of the site. Flask-WTF's strict
referrer check refused every such POST with 400 (issue 18); the CSRF token and the Origin
check keep the form protected."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from app.approvals.models import AllocationStatus, TimeAllocation
from app.extensions import db
from tests.approvals.helpers import csrf_from

HTTPS = "https://summit.test"


@pytest.fixture(autouse=True)
def before_term_one():
    with time_machine.travel(datetime(2026, 6, 3, 9, 0, tzinfo=UTC), tick=False):
        yield


def _status(enrollment) -> AllocationStatus:
    db.session.expire_all()
    return db.session.scalars(
        select(TimeAllocation.status).where(TimeAllocation.enrollment_id == enrollment.id)
    ).one()


def _decide(client, path, enrollment, headers):
    page = client.get(path, base_url=HTTPS)
    assert page.status_code == 200
    # the token stays on this site: never no-referrer (it made browsers send Origin: null)
    assert page.headers["Referrer-Policy"] in {"same-origin", "strict-origin"}
    allocation = db.session.scalars(
        select(TimeAllocation).where(TimeAllocation.enrollment_id == enrollment.id)
    ).one()
    form = {
        "csrf_token": csrf_from(page.get_data(as_text=True)),
        "action": "approve",
        "allocation_id": allocation.id,
    }
    return client.post(path, base_url=HTTPS, data=form, headers=headers)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": HTTPS}, {"Origin": "https://SUMMIT.test:443"}, {"Referer": HTTPS + "/x"}],
    ids=["no-referer-no-origin", "origin", "origin-default-port", "same-origin-referer"],
)
def test_an_https_post_without_referer_decides(client, asked, headers) -> None:
    _rollout, _boss, (enrollment,), path = asked(1)
    response = _decide(client, path, enrollment, headers)
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    assert _status(enrollment) is AllocationStatus.APPROVED


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://summit.test.evil.example"},
        {"Referer": "https://evil.example/page"},
    ],
    ids=["other-origin", "null-origin", "lookalike-origin", "other-referer"],
)
def test_a_post_from_another_origin_is_refused_and_changes_nothing(client, asked, headers) -> None:
    _rollout, _boss, (enrollment,), path = asked(1)
    response = _decide(client, path, enrollment, headers)
    assert response.status_code == 400
    assert "sent from elsewhere" in response.get_data(as_text=True)
    assert _status(enrollment) is AllocationStatus.PENDING


def test_the_csrf_token_is_still_required_over_https(client, asked) -> None:
    _rollout, _boss, (enrollment,), path = asked(1)
    client.get(path, base_url=HTTPS)
    response = client.post(
        path, base_url=HTTPS, data={"action": "approve_all"}, headers={"Origin": HTTPS}
    )
    assert response.status_code == 400
    assert _status(enrollment) is AllocationStatus.PENDING
