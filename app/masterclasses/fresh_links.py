"""Fresh RSVP and leaderboard links for a learner whose link expired."""

from __future__ import annotations

from app.db import utcnow
from app.freshlinks.services import FreshLink
from app.language import person_locale
from app.links.services import ActionClaims, LinkInvalid, load_linked
from app.masterclasses.emails import rsvp_url
from app.masterclasses.models import MasterClassInvitation
from app.masterclasses.recognition import opt_in_url
from app.people.models import Person
from app.rollouts.models import Enrollment


def _to(enrollment: Enrollment, url: str) -> FreshLink | None:
    person = enrollment.person
    if person.erased_at is not None:
        return None
    return FreshLink(
        url=url,
        to_address=person.email,
        to_name=person.name,
        locale=person_locale(person, person.region),
        region_id=enrollment.region_id,
        person_id=person.id,
    )


def find_rsvp_link(claims: ActionClaims) -> FreshLink | None:
    """The RSVP page of the invitation the link names, until its class starts. Reads only."""
    try:
        item = load_linked(claims, model=MasterClassInvitation, person_model=Person).obj
    except LinkInvalid:
        return None
    if item.enrollment.person_id != claims.person_id:
        return None
    if item.master_class.starts_at <= utcnow():
        return None
    return _to(item.enrollment, rsvp_url(item))


def find_opt_in_link(claims: ActionClaims) -> FreshLink | None:
    """The leaderboard opt-in page of the enrollment the link names. Reads only."""
    try:
        enrollment = load_linked(claims, model=Enrollment, person_model=Person).obj
    except LinkInvalid:
        return None
    if enrollment.person_id != claims.person_id:
        return None
    return _to(enrollment, opt_in_url(enrollment))
