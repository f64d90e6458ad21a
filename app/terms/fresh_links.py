"""A fresh sign-off link for a buddy whose link expired."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.freshlinks.services import FreshLink, grant_regions_of
from app.links.services import ActionClaims, make_action_url
from app.people.models import Person
from app.rollouts.models import Enrollment, EnrollmentState
from app.terms.common import BUDDY_PURPOSE
from app.terms.models import TermReview


def find_signoff_link(claims: ActionClaims) -> FreshLink | None:
    """The sign-off page of the term review the link names, while the person is still the
    learner's buddy and the term is not confirmed yet. Reads only."""
    region_id, _ = grant_regions_of((TermReview, claims.object_id), (Person, claims.person_id))
    if region_id is None:
        return None
    review = db.session.get(TermReview, claims.object_id)
    learner = db.session.get(Enrollment, review.enrollment_id) if review else None
    if review is None or learner is None or learner.buddy_group is None:
        return None
    if review.buddy_confirmed_at is not None:
        return None
    buddy = db.session.scalars(
        select(Enrollment).where(
            Enrollment.rollout_id == learner.rollout_id,
            Enrollment.buddy_group == learner.buddy_group,
            Enrollment.person_id == claims.person_id,
            Enrollment.id != learner.id,
            Enrollment.state.not_in((EnrollmentState.REMOVED, EnrollmentState.WITHDRAWN)),
        )
    ).first()
    if buddy is None or buddy.person.erased_at is not None:
        return None
    person = buddy.person
    return FreshLink(
        url=make_action_url(
            endpoint="terms.buddy_signoff",
            purpose=BUDDY_PURPOSE,
            person_id=person.id,
            object_id=review.id,
        ),
        to_address=person.email,
        to_name=person.name,
        locale=person.locale or learner.rollout.region.locale,
        region_id=region_id,
        person_id=person.id,
    )
