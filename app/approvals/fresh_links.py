"""A fresh decision link for a manager (or delegate) whose link expired."""

from __future__ import annotations

from sqlalchemy import exists, or_, select

from app.approvals.emails import decision_url, locale_for
from app.approvals.models import TimeAllocation
from app.extensions import db
from app.freshlinks.services import FreshLink, region_of
from app.links.services import ActionClaims
from app.people.models import Person
from app.rollouts.models import Enrollment, Rollout
from app.scoping import set_region_scope


def find_decision_link(claims: ActionClaims) -> FreshLink | None:
    """The decision page of the rollout the link names, while the person still decides on
    someone's time there (as manager or delegate). Reads only."""
    rollout_region = region_of(Rollout, claims.object_id)
    person_region = region_of(Person, claims.person_id)
    if rollout_region is None or person_region is None:
        return None
    # a manager may belong to another region than the rollout
    set_region_scope(db.session, {rollout_region, person_region})
    rollout = db.session.get(Rollout, claims.object_id)
    person = db.session.get(Person, claims.person_id)
    if rollout is None or person is None or person.erased_at is not None:
        return None
    decides = db.session.scalar(
        select(
            exists().where(
                TimeAllocation.enrollment_id == Enrollment.id,
                Enrollment.rollout_id == rollout.id,
                or_(
                    TimeAllocation.manager_id == person.id,
                    TimeAllocation.delegate_id == person.id,
                ),
            )
        )
    )
    if not decides:
        return None
    return FreshLink(
        url=decision_url(recipient_id=person.id, rollout_id=rollout.id),
        to_address=person.email,
        to_name=person.name,
        locale=locale_for(person, rollout.region),
        region_id=rollout.region_id,
        person_id=person.id,
    )
