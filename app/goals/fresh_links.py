"""A fresh goal-survey link for a learner whose link expired."""

from __future__ import annotations

from app.extensions import db
from app.freshlinks.services import FreshLink, grant_regions_of
from app.goals.services import STILL_ENROLLED, survey_url
from app.links.services import ActionClaims
from app.people.models import Person
from app.rollouts.models import Enrollment


def find_survey_link(claims: ActionClaims) -> FreshLink | None:
    """The goal survey of the enrollment the link names, while the learner is still in the
    program (the page shows an earlier answer too). Reads only."""
    region_id, _ = grant_regions_of((Enrollment, claims.object_id), (Person, claims.person_id))
    if region_id is None:
        return None
    enrollment = db.session.get(Enrollment, claims.object_id)
    if enrollment is None or enrollment.person_id != claims.person_id:
        return None
    person = enrollment.person
    if enrollment.state not in STILL_ENROLLED or person.erased_at is not None:
        return None
    return FreshLink(
        url=survey_url(enrollment),
        to_address=person.email,
        to_name=person.name,
        locale=person.locale or person.region.locale,
        region_id=region_id,
        person_id=person.id,
    )
