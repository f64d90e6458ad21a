"""What the learner commit page will do, and how a manager reaches the decision page."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from app.extensions import db
from app.rollouts.models import Enrollment, EnrollmentState
from app.rollouts.signals import enrollment_committed
from tests.factories import EnrollmentFactory, PersonFactory, ProgramFactory, RolloutFactory

LINK_RE = re.compile(r"http://summit\.test(/approvals/decide/[A-Za-z0-9._-]+)")


def commit(enrollment: Enrollment, goal: str = "Ship our event-driven billing") -> Enrollment:
    """The learner pledges on the commit page: goal, transition, signal (one transaction)."""
    enrollment.goal = goal
    enrollment.transition(EnrollmentState.COMMITTED)
    enrollment_committed.send(enrollment)
    db.session.flush()
    return enrollment


def rollout_in(code: str = "de", *, starts_on: date = date(2026, 9, 7), **kwargs: Any) -> Any:
    from tests.factories import region

    program = ProgramFactory(structure=starts_on, hours_per_week=kwargs.pop("hours", 2.0))
    return RolloutFactory(program=program, region_id=region(code).id, **kwargs)


def manager(code: str = "de", **kwargs: Any) -> Any:
    from tests.factories import region

    boss = kwargs.pop("boss", None)
    return PersonFactory(region_id=region(code).id, manager=boss, **kwargs)


def report(rollout: Any, boss: Any, **kwargs: Any) -> Enrollment:
    """An invited enrollment of a new report of ``boss``."""
    person = PersonFactory(region_id=rollout.region_id, manager=boss, **kwargs)
    return EnrollmentFactory(rollout=rollout, person=person)


def decision_path(message: Any) -> str:
    """The decision page's path from an email (its text part)."""
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = LINK_RE.search(body)
    assert match, body
    return match.group(1)


def text_of(message: Any) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)
