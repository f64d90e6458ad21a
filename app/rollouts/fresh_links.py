"""A fresh commit link for a learner whose invitation link expired."""

from __future__ import annotations

from app.freshlinks.services import FreshLink
from app.language import person_locale
from app.links.services import ActionClaims, LinkInvalid, load_linked
from app.people.models import Person
from app.rollouts.models import Enrollment, RolloutStatus
from app.rollouts.onboarding import commit_url, load_for_commit


def find_commit_link(claims: ActionClaims) -> FreshLink | None:
    """The commit page of the enrollment the link names, while the learner is in a launched
    rollout (the page shows the pledge, or that it was made). Reads only."""
    try:
        region_id = load_linked(claims, model=Enrollment, person_model=Person).region_id
    except LinkInvalid:
        return None
    enrollment = load_for_commit(claims.object_id, claims.person_id)
    if enrollment is None or not enrollment.in_program:
        return None
    person, rollout = enrollment.person, enrollment.rollout
    if rollout.status is not RolloutStatus.LAUNCHED or person.erased_at is not None:
        return None
    return FreshLink(
        url=commit_url(enrollment),
        to_address=person.email,
        to_name=person.name,
        locale=person_locale(person, rollout.region),
        region_id=region_id,
        person_id=person.id,
    )
