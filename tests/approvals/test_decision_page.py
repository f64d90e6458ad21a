"""The decision page as a manager meets it on a phone: decisions first, one primary action
per person (other hours and decline folded away), the page coming back to the next person
after each decision, decided people collapsed to one line, and an "all done" end."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from app.approvals.models import AllocationStatus, TimeAllocation
from app.extensions import db
from tests.approvals.helpers import csrf_from


@pytest.fixture(autouse=True)
def before_term_one():
    with time_machine.travel(datetime(2026, 6, 3, 9, 0, tzinfo=UTC), tick=False):
        yield


def _ids(enrollments) -> list[int]:
    db.session.expire_all()
    by_enrollment = {
        a.enrollment_id: a.id for a in db.session.scalars(select(TimeAllocation)).all()
    }
    # the page lists people by name, as the fixture's reports are
    ordered = sorted(enrollments, key=lambda e: e.person.name)
    return [by_enrollment[e.id] for e in ordered]


def _main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def test_decisions_come_first_with_one_primary_action_each(client, asked):
    _rollout, _boss, enrollments, path = asked(3)
    html = _main(client.get(path).get_data(as_text=True))
    # before anything about the program: the people and their approve buttons
    assert html.index('class="card decision decision-pending"') < html.index("<table")
    for allocation_id in _ids(enrollments):
        pending = f'<section class="card decision decision-pending" id="report-{allocation_id}"'
        card = re.search(re.escape(pending) + ".*?</section>", html, re.S).group(0)
        assert card.count('value="approve"') == 1 and 'class="primary"' in card
        # propose and decline sit behind a disclosure, closed until asked for
        folded = card[card.index('<details class="other-choices">') :]
        assert 'value="propose"' in folded and 'value="decline"' in folded
        assert '<details class="other-choices" open' not in card
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", re.sub(r"<[^>]+>", " ", html))
    assert "7. September 2026" in html  # the first term, in the manager's language


def test_after_each_decision_the_page_returns_to_the_next_person(client, asked):
    _rollout, _boss, enrollments, path = asked(3)
    first, second, third = _ids(enrollments)
    token = csrf_from(client.get(path).get_data(as_text=True))

    def approve(allocation_id: int) -> str:
        response = client.post(
            path, data={"csrf_token": token, "action": "approve", "allocation_id": allocation_id}
        )
        assert response.status_code == 303
        return response.headers["Location"]

    assert approve(second).endswith(f"#report-{third}")  # the next one down the page
    assert approve(third).endswith(f"#report-{first}")  # then the first still waiting
    html = _main(client.get(path).get_data(as_text=True))
    # decided people are one line (name and decision), with a way to change folded away
    done = re.search(
        rf'<section class="decision decision-done" id="report-{second}".*?</section>', html, re.S
    ).group(0)
    assert "genehmigt: 2 Std./Woche" in done
    assert '<details class="change">' in done and 'value="decline"' in done
    assert 'id="done"' not in html
    assert approve(first).endswith("#done")
    html = _main(client.get(path).get_data(as_text=True))
    assert 'id="done"' in html and 'class="card decision decision-pending"' not in html
    db.session.expire_all()
    statuses = set(db.session.scalars(select(TimeAllocation.status)))
    assert statuses == {AllocationStatus.APPROVED}


def test_a_refused_decision_stays_on_the_page_with_the_reason(client, asked):
    _rollout, _boss, enrollments, path = asked(1)
    (only,) = _ids(enrollments)
    token = csrf_from(client.get(path).get_data(as_text=True))
    response = client.post(
        path, data={"csrf_token": token, "action": "decline", "allocation_id": only}
    )
    assert response.status_code == 422
    assert 'id="report-' in response.get_data(as_text=True)
