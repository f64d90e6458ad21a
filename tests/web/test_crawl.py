"""Every page a member of staff can open renders, for every role, on the demo organisation."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from app.auth.models import Role, StaffUser
from app.extensions import db

ROLES = {
    "global admin": "grace.hopper-lee@example.com",
    "local lead": "marion.kremer@example.com",
    "expert": "stefan.brandt@example.com",
    "HR partner": "petra.vogel@example.com",
    "sponsor": "dr.klaus.hartmann@example.com",
}


def _values() -> dict[str, Any]:
    from app.calls.models import CallSession
    from app.mail.models import OutboundAttachment, OutboundEmail
    from app.masterclasses.models import MasterClass, MasterClassInvitation
    from app.people.models import Person
    from app.regions.models import Region
    from app.reports.models import Report
    from app.rollouts.models import Enrollment, Rollout
    from app.roster.models import RosterImport

    de = db.session.scalars(select(Region).where(Region.code == "de")).one()

    def first(stmt: Any, key: Any) -> Any:
        # ordered: the same objects every run, whatever order the database returns rows in
        return db.session.scalars(stmt.order_by(key).limit(1)).first()

    attachment = first(select(OutboundAttachment), OutboundAttachment.id)
    report = first(select(Report).where(Report.region_id == de.id), Report.id)
    return {
        "region": "de",
        "slug": "sef-de",
        "number": 1,
        "session_id": first(
            select(CallSession.id).where(CallSession.region_id == de.id), CallSession.id
        ),
        "class_id": first(
            select(MasterClass.id).where(MasterClass.region_id == de.id), MasterClass.id
        ),
        "invitation_id": first(
            select(MasterClassInvitation.id).where(MasterClassInvitation.region_id == de.id),
            MasterClassInvitation.id,
        ),
        "import_id": first(
            select(RosterImport.id).where(RosterImport.region_id == de.id), RosterImport.id
        ),
        "person_id": first(select(Person.id).where(Person.region_id == de.id), Person.id),
        "enrollment_id": first(
            select(Enrollment.id).join(Rollout).where(Rollout.slug == "sef-de"), Enrollment.id
        ),
        "email_id": attachment.email_id
        if attachment
        else first(select(OutboundEmail.id), OutboundEmail.id),
        "attachment_id": attachment.id if attachment else None,
        "week": report.week if report else None,
    }


def _get_rules(app: Any) -> list[Any]:
    rules = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        if {"token", "link_purpose", "region_id"} & set(rule.arguments):
            continue  # signed-link pages: tested with real tokens in each capability
        rules.append(rule)
    return sorted(rules, key=lambda r: r.rule)


def test_every_page_renders_for_every_role(app, client, login_as):
    """One demo build (it takes seconds), then every GET page as each role: nothing fails."""
    from app.demo.services import seed_demo

    seed_demo()
    db.session.commit()
    values = _values()
    problems = []
    for role, email in ROLES.items():
        user = db.session.scalars(select(StaffUser).where(StaffUser.email == email)).one()
        assert role == "global admin" or user.roles[0].role is not Role.GLOBAL_ADMIN
        login_as(user)
        rendered = 0
        for rule in _get_rules(app):
            if any(values.get(arg) is None for arg in rule.arguments):
                continue
            path = rule.rule
            for arg in rule.arguments:
                path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", str(values[arg]), path)
            response = client.get(path)
            if response.status_code >= 500:
                problems.append(f"{role} {path}: {response.status_code}")
            elif response.status_code == 200:
                rendered += 1
        assert rendered >= (25 if role != "sponsor" else 10), (role, rendered)
    assert problems == [], problems
