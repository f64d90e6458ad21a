"""A fresh question link for a learner whose link to a call's question form expired."""

from __future__ import annotations

from app.calls.models import CallSession
from app.calls.questions import enrollment_for
from app.calls.services import question_url
from app.db import utcnow
from app.freshlinks.services import FreshLink
from app.language import person_locale
from app.links.services import ActionClaims, LinkInvalid, load_linked
from app.people.models import Person


def find_question_link(claims: ActionClaims) -> FreshLink | None:
    """The question form of the call the link names, until the call starts, while the
    person is one of its rollout's learners. Reads only."""
    try:
        link = load_linked(claims, model=CallSession, person_model=Person)
    except LinkInvalid:
        return None
    session, person, region_id = link.obj, link.person, link.region_id
    if session.cancelled or session.starts_at <= utcnow():
        return None
    if enrollment_for(session, person.id) is None:
        return None
    return FreshLink(
        url=question_url(session, person.id),
        to_address=person.email,
        to_name=person.name,
        locale=person_locale(person, session.rollout.region),
        region_id=region_id,
        person_id=person.id,
    )
