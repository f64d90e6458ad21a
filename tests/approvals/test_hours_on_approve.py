"""Hours sent with "approve" are checked as "propose" checks them (issue 18): more than 0, at
most 40; ``nan``, ``inf``, negatives and words get a clear message, never a 500, and the
request stays as it was."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from app.approvals.models import AllocationStatus, TimeAllocation
from app.auth.models import Role
from app.extensions import db
from tests.approvals.helpers import csrf_from
from tests.factories import staff

BAD = ["nan", "NaN", "inf", "-inf", "-2", "0", "41", "1e309", "two"]


@pytest.fixture(autouse=True)
def before_term_one():
    with time_machine.travel(datetime(2026, 6, 3, 9, 0, tzinfo=UTC), tick=False):
        yield


def _allocation(enrollment) -> TimeAllocation:
    db.session.expire_all()
    return db.session.scalars(
        select(TimeAllocation).where(TimeAllocation.enrollment_id == enrollment.id)
    ).one()


@pytest.mark.parametrize("hours", BAD)
def test_the_manager_link_refuses_bad_hours_on_approve(client, asked, hours) -> None:
    _rollout, _boss, (enrollment,), path = asked(1)
    page = client.get(path).get_data(as_text=True)
    form = {
        "csrf_token": csrf_from(page),
        "action": "approve",
        "allocation_id": _allocation(enrollment).id,
        "hours": hours,
    }
    response = client.post(path, data=form)
    assert response.status_code == 422
    assert "eine Zahl über 0" in response.get_data(as_text=True)  # the manager's language
    assert _allocation(enrollment).status is AllocationStatus.PENDING


def test_the_manager_link_approves_valid_hours(client, asked) -> None:
    _rollout, _boss, (enrollment,), path = asked(1)
    page = client.get(path).get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "action": "approve", "hours": "1,5"}
    form["allocation_id"] = _allocation(enrollment).id
    assert client.post(path, data=form).status_code == 303
    allocation = _allocation(enrollment)
    assert allocation.status is AllocationStatus.APPROVED and allocation.hours_decided == 1.5


@pytest.mark.parametrize("hours", BAD)
def test_the_staff_route_refuses_bad_hours_on_approve(client, asked, login_as, hours) -> None:
    rollout, _boss, (enrollment,), _path = asked(1)
    login_as(staff(Role.LOCAL_LEAD, "de"))
    allocation_id = _allocation(enrollment).id
    dashboard = f"/r/de/approvals/{rollout.slug}"
    csrf = csrf_from(client.get(dashboard).get_data(as_text=True))
    response = client.post(
        f"{dashboard}/allocations/{allocation_id}",
        data={"csrf_token": csrf, "action": "approve", "hours": hours},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "a number above 0 and at most 40" in response.get_data(as_text=True)
    assert _allocation(enrollment).status is AllocationStatus.PENDING
