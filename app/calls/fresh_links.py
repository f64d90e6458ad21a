"""A fresh question link for a learner whose link to a call's question form expired."""

from __future__ import annotations

from app.calls.models import CallSession
from app.calls.questions import enrollment_for
from app.calls.services import question_url
from app.db import utcnow
from app.extensions import db
from app.freshlinks.services import FreshLink, grant_regions_of
from app.links.services import ActionClaims
from app.people.models import Person


def find_question_link(claims: ActionClaims) -> FreshLink | None:
    """The question form of the call the link names, until the call starts, while the
    person is one of its rollout's learners. Reads only."""
    region_id, _ = grant_regions_of((CallSession, claims.object_id), (Person, claims.person_id))
    if region_id is None:
        return None
    session = db.session.get(CallSession, claims.object_id)
    person = db.session.get(Person, claims.person_id)
    if session is None or person is None or person.erased_at is not None:
        return None
    if session.cancelled or session.starts_at <= utcnow():
        return None
    if enrollment_for(session, person.id) is None:
        return None
    return FreshLink(
        url=question_url(session, person.id),
        to_address=person.email,
        to_name=person.name,
        locale=person.locale or session.rollout.region.locale,
        region_id=region_id,
        person_id=person.id,
    )
