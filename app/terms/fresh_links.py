"""A fresh sign-off link for a buddy whose link expired."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.freshlinks.services import FreshLink
from app.language import person_locale
from app.links.services import ActionClaims, LinkInvalid, load_linked, make_action_url
from app.people.models import Person
from app.rollouts.models import Enrollment, EnrollmentState
from app.terms.common import BUDDY_PURPOSE
from app.terms.models import TermReview


def find_signoff_link(claims: ActionClaims) -> FreshLink | None:
    """The sign-off page of the term review the link names, while the person is still the
    learner's buddy and the term is not confirmed yet. Reads only."""
    try:
        link = load_linked(claims, model=TermReview, person_model=Person)
    except LinkInvalid:
        return None
    review, region_id = link.obj, link.region_id
    learner = db.session.get(Enrollment, review.enrollment_id)
    if learner is None or learner.buddy_group is None:
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
            endpoint="terms_public.buddy_signoff",
            purpose=BUDDY_PURPOSE,
            person_id=person.id,
            object_id=review.id,
        ),
        to_address=person.email,
        to_name=person.name,
        locale=person_locale(person, learner.rollout.region),
        region_id=region_id,
        person_id=person.id,
    )
