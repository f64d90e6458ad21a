"""A fresh goal-survey link for a learner whose link expired."""

from __future__ import annotations

from app.freshlinks.services import FreshLink
from app.goals.services import STILL_ENROLLED, survey_url
from app.language import person_locale
from app.links.services import ActionClaims, LinkInvalid, load_linked
from app.people.models import Person
from app.rollouts.models import Enrollment


def find_survey_link(claims: ActionClaims) -> FreshLink | None:
    """The goal survey of the enrollment the link names, while the learner is still in the
    program (the page shows an earlier answer too). Reads only."""
    try:
        link = load_linked(claims, model=Enrollment, person_model=Person)
    except LinkInvalid:
        return None
    enrollment, region_id = link.obj, link.region_id
    if enrollment.person_id != claims.person_id:
        return None
    person = enrollment.person
    if enrollment.state not in STILL_ENROLLED or person.erased_at is not None:
        return None
    return FreshLink(
        url=survey_url(enrollment),
        to_address=person.email,
        to_name=person.name,
        locale=person_locale(person, person.region),
        region_id=region_id,
        person_id=person.id,
    )
