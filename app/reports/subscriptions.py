"""Who receives the weekly reports: a sponsor's or a global reader's subscription, changed
through their signed link (one click from the email, or the manage page)."""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.auth.models import StaffUser
from app.extensions import db
from app.links.services import make_action_url
from app.reports.models import GlobalReportOptOut
from app.rollouts.models import RolloutSponsor

log = logging.getLogger(__name__)

REGION_PURPOSE = "report-subscription"


GLOBAL_PURPOSE = "report-subscription-global"


def unsubscribe_headers(one_click_url: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe (RFC 2369 List-Unsubscribe with an HTTPS POST target)."""
    return {
        "List-Unsubscribe": f"<{one_click_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def set_regional_subscription(*, region_id: int, sponsor_id: int, subscribed: bool) -> bool:
    """Subscribe or unsubscribe a sponsor to their region's report, for every rollout of
    the region they sponsor with that address. Idempotent. Returns whether one was found."""
    sponsor = db.session.scalars(
        select(RolloutSponsor).where(
            RolloutSponsor.id == sponsor_id, RolloutSponsor.region_id == region_id
        )
    ).one_or_none()
    if sponsor is None:
        return False
    for row in db.session.scalars(
        select(RolloutSponsor).where(
            RolloutSponsor.region_id == region_id, RolloutSponsor.email == sponsor.email
        )
    ):
        row.subscribed = subscribed
    db.session.flush()
    log.info(
        "sponsor %s %s region %s reports",
        sponsor_id,
        "subscribed to" if subscribed else "unsubscribed from",
        region_id,
    )
    return True


def set_global_subscription(*, staff_user_id: int, subscribed: bool) -> bool:
    """Subscribe or unsubscribe a global sponsor from the global report. Idempotent."""
    user = db.session.get(StaffUser, staff_user_id)
    if user is None:
        return False
    opt_out = db.session.scalars(
        select(GlobalReportOptOut).where(GlobalReportOptOut.staff_user_id == staff_user_id)
    ).one_or_none()
    if subscribed and opt_out is not None:
        db.session.delete(opt_out)
    elif not subscribed and opt_out is None:
        db.session.add(GlobalReportOptOut(staff_user_id=staff_user_id))
    db.session.flush()
    log.info(
        "staff %s %s the global report",
        staff_user_id,
        "subscribed to" if subscribed else "unsubscribed from",
    )
    return True


def manage_url_for(sponsor: RolloutSponsor) -> str:
    return make_action_url(
        endpoint="reports_public.subscription",
        purpose=REGION_PURPOSE,
        person_id=sponsor.id,
        object_id=sponsor.region_id,
    )
