"""A fresh "manage your subscription" link for a sponsor whose link expired."""

from __future__ import annotations

from datetime import timedelta

from app.auth.models import StaffUser
from app.freshlinks.services import FreshLink
from app.links.services import ActionClaims, LinkInvalid, absolute_url, load_linked, make_token
from app.regions.models import Region
from app.reports.subscriptions import GLOBAL_PURPOSE, manage_url_for
from app.rollouts.models import RolloutSponsor

#: unsubscribe links must keep working for as long as reports may sit in a mailbox
LINK_MAX_AGE = timedelta(days=400)


def find_regional_link(claims: ActionClaims) -> FreshLink | None:
    """The subscription page of a rollout sponsor (the token names the sponsor row and
    the region). Reads only."""
    try:
        sponsor = load_linked(claims, model=Region, person_model=RolloutSponsor).person
    except LinkInvalid:
        return None
    if sponsor.region_id != claims.object_id:
        return None
    return FreshLink(
        url=manage_url_for(sponsor),
        to_address=sponsor.email,
        to_name=sponsor.name,
        locale=sponsor.rollout.region.locale,
        region_id=sponsor.region_id,
    )


def find_global_link(claims: ActionClaims) -> FreshLink | None:
    """The subscription page of a global sponsor (a staff member). Reads only."""
    try:
        user = load_linked(claims, model=None, person_model=StaffUser).person
    except LinkInvalid:
        return None
    if not user.active:
        return None
    token = make_token(purpose=GLOBAL_PURPOSE, person_id=user.id, object_id=0)
    return FreshLink(
        url=absolute_url("reports_public.subscription", token=token),
        to_address=user.email,
        to_name=user.name,
        locale="en",
        region_id=None,
    )
