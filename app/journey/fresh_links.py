"""A fresh journey link for a learner whose journey or weekly-email link expired."""

from __future__ import annotations

from app.freshlinks.services import FreshLink
from app.journey.models import JourneySend
from app.journey.services import journey_url
from app.links.services import ActionClaims, LinkInvalid, load_linked
from app.people.models import Person
from app.rollouts.models import Enrollment, EnrollmentState

STILL_IN = (
    EnrollmentState.COMMITTED,
    EnrollmentState.TIME_APPROVED,
    EnrollmentState.ACTIVE,
    EnrollmentState.COMPLETED,
)


def find_journey_link(claims: ActionClaims) -> FreshLink | None:
    """The journey page of the enrollment the link names (reads only)."""
    try:
        link = load_linked(claims, model=Enrollment, person_model=Person)
    except LinkInvalid:
        return None
    return _fresh(link.obj, claims, link.region_id)


def find_journey_link_of_send(claims: ActionClaims) -> FreshLink | None:
    """A weekly email's expired link: the journey page of the learner it was sent to."""
    try:
        link = load_linked(claims, model=JourneySend, person_model=Person)
    except LinkInvalid:
        return None
    return _fresh(link.obj.enrollment, claims, link.region_id)


def _fresh(enrollment: Enrollment, claims: ActionClaims, region_id: int | None) -> FreshLink | None:
    person = enrollment.person
    if enrollment.person_id != claims.person_id or person.erased_at is not None:
        return None
    if enrollment.state not in STILL_IN:
        return None
    return FreshLink(
        url=journey_url(enrollment),
        to_address=person.email,
        to_name=person.name,
        locale=person.locale or person.region.locale,
        region_id=region_id,
        person_id=person.id,
    )
