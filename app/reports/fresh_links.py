"""A fresh "manage your subscription" link for a sponsor whose link expired."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.auth.access import grant_region
from app.auth.models import StaffUser
from app.extensions import db
from app.freshlinks.services import FreshLink
from app.links.services import ActionClaims, absolute_url, make_token
from app.reports.services import GLOBAL_PURPOSE, manage_url_for
from app.rollouts.models import RolloutSponsor

#: unsubscribe links must keep working for as long as reports may sit in a mailbox
LINK_MAX_AGE = timedelta(days=400)


def find_regional_link(claims: ActionClaims) -> FreshLink | None:
    """The subscription page of a rollout sponsor (the token names the sponsor row and
    the region). Reads only."""
    grant_region(claims.object_id)  # the sponsor row decides whether it still exists
    sponsor = db.session.scalars(
        select(RolloutSponsor).where(
            RolloutSponsor.id == claims.person_id, RolloutSponsor.region_id == claims.object_id
        )
    ).one_or_none()
    if sponsor is None:
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
    user = db.session.get(StaffUser, claims.person_id)
    if user is None or not user.active:
        return None
    token = make_token(purpose=GLOBAL_PURPOSE, person_id=user.id, object_id=0)
    return FreshLink(
        url=absolute_url("reports_public.subscription", token=token),
        to_address=user.email,
        to_name=user.name,
        locale="en",
        region_id=None,
    )
