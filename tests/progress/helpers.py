"""A course with real module titles and four learners, as the fixture files know them."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.progress.models import ModuleProgress
from app.rollouts.models import Enrollment, EnrollmentState, Rollout, RolloutStatus
from app.xapi.credentials import issue_credentials
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region

FIXTURES = Path(__file__).parent / "fixtures"
IRI = "https://learning.example.com/xapi/activities/event-driven-design"
TITLES = [
    "Cloud-native foundations",
    "Event-driven design",
    "Continuous delivery",
    "Observability",
    "Security by design",
    "Data engineering basics",
]
LEARNERS = {
    "ada": ("E1001", "Ada Lovelace", "ada.lovelace@example.com", EnrollmentState.ACTIVE),
    "ben": ("E1002", "Ben Okafor", "ben.okafor@example.com", EnrollmentState.TIME_APPROVED),
    "chloe": ("E1003", "Chloé Dubois", "chloe.dubois@example.com", EnrollmentState.ACTIVE),
    "dev": ("E1004", "Dev Patel", "dev.patel@example.com", EnrollmentState.TIME_APPROVED),
}


@dataclass
class Course:
    rollout: Rollout
    enrollments: dict[str, Enrollment]

    @property
    def program(self):  # type: ignore[no-untyped-def]
        return self.rollout.program

    def module(self, key: str):  # type: ignore[no-untyped-def]
        return next(m for m in self.program.modules if m.key == key)


def make_course(code: str = "de", *, slug: str = "sef-test", buddies: bool = True) -> Course:
    rollout = RolloutFactory(
        region_id=region(code).id,
        slug=slug,
        sponsor="Dr. Sponsor",
        status=RolloutStatus.LAUNCHED,
    )
    for module, title in zip(rollout.program.modules, TITLES, strict=True):
        module.title = title
    manager = PersonFactory(
        region_id=rollout.region_id, name="Maria Manager", email=f"maria.{code}@example.com"
    )
    enrollments = {}
    for key, (emp, name, email, state) in LEARNERS.items():
        person = PersonFactory(
            region_id=rollout.region_id,
            employee_id=emp if code == "de" else f"{emp}-{code}",
            name=name,
            email=email if code == "de" else email.replace("@", f".{code}@"),
            manager=manager,
        )
        enrollment = EnrollmentFactory(rollout=rollout, person=person)
        for step in (
            EnrollmentState.COMMITTED,
            EnrollmentState.TIME_APPROVED,
            EnrollmentState.ACTIVE,
        ):
            enrollment.transition(step)
            if step == state:
                break
        enrollments[key] = enrollment
    if buddies:
        enrollments["ada"].buddy_group = enrollments["ben"].buddy_group = 1
        enrollments["chloe"].buddy_group = enrollments["dev"].buddy_group = 2
    db.session.flush()
    return Course(rollout=rollout, enrollments=enrollments)


COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
PROGRESSED = "http://adlnet.gov/expapi/verbs/progressed"


def statement(verb=COMPLETED, *, sid=None, who=None, activity=IRI, name=None, result=None, ts=None):
    body = {
        "actor": who or {"objectType": "Agent", "mbox": "mailto:Ada.Lovelace@example.com"},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[1]}},
        "object": {"objectType": "Activity", "id": activity},
    }
    if name:
        body["object"]["definition"] = {"name": {"en-US": name}}
    if sid:
        body["id"] = sid
    if result is not None:
        body["result"] = result
    if ts:
        body["timestamp"] = ts
    return body


def module_progress(course, who, key):
    return db.session.scalars(
        select(ModuleProgress).where(
            ModuleProgress.enrollment_id == course.enrollments[who].id,
            ModuleProgress.module_id == course.module(key).id,
        )
    ).one_or_none()


def xapi_sender(client, rollout):
    """A function sending to /xapi/statements with the rollout's (new) Basic credentials."""
    key, secret = issue_credentials(region=rollout.region, rollout=rollout)
    db.session.commit()
    auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()

    def send(body=None, *, method="post", headers=None, query=""):
        base = {"Authorization": auth, "X-Experience-API-Version": "1.0.3"}
        base.update(headers or {})
        base = {k: v for k, v in base.items() if v is not None}
        return getattr(client, method)(f"/xapi/statements{query}", json=body, headers=base)

    send.key = key
    return send
