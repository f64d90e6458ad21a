"""A sponsor's subscription pages, opened from the signed link in every report email: the
page (GET changes nothing), subscribe / unsubscribe from it, and RFC 8058 one-click
unsubscribe. Link problems get the one set of link pages (``app/freshlinks/routes.py``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, url_for

from app.auth.access import public
from app.auth.models import StaffUser
from app.extensions import csrf
from app.language import _
from app.links.services import LinkInvalid, OpenedLink, open_link
from app.regions.models import Region
from app.reports import services, subscriptions
from app.reports.forms import SubscriptionForm
from app.reports.fresh_links import LINK_MAX_AGE
from app.rollouts.models import RolloutSponsor

public_bp = Blueprint("reports_public", __name__)


def _open(token: str) -> OpenedLink[Any]:
    """A regional sponsor's link (the sponsor row, in its region) or a global sponsor's (a
    staff member); anything else is LinkInvalid, an expired one LinkExpired."""
    try:
        link = open_link(
            token,
            purpose=subscriptions.REGION_PURPOSE,
            model=Region,
            person_model=RolloutSponsor,
            max_age=LINK_MAX_AGE,
        )
    except LinkInvalid:
        return open_link(
            token,
            purpose=subscriptions.GLOBAL_PURPOSE,
            model=None,
            person_model=StaffUser,
            max_age=LINK_MAX_AGE,
        )
    if link.person.region_id != link.claims.object_id:
        raise LinkInvalid(link.claims)
    return link


def _state(link: OpenedLink[Any]) -> dict[str, Any]:
    """Who the link is for and whether they are subscribed."""
    if link.claims.purpose == subscriptions.REGION_PURPOSE:
        sponsor = link.person
        return {
            "name": sponsor.name,
            "what": _("the weekly report of %(region)s", region=sponsor.rollout.region.name),
            "subscribed": sponsor.subscribed,
        }
    user = link.person
    return {
        "name": user.name,
        "what": _("the global weekly report"),
        "subscribed": user.id not in {u.id for u in services.global_sponsors()},
    }


def _apply(link: OpenedLink[Any], subscribed: bool) -> bool:
    claims = link.claims
    if claims.purpose == subscriptions.REGION_PURPOSE:
        return subscriptions.set_regional_subscription(
            region_id=claims.object_id, sponsor_id=claims.person_id, subscribed=subscribed
        )
    return subscriptions.set_global_subscription(
        staff_user_id=claims.person_id, subscribed=subscribed
    )


@public_bp.get("/reports/subscription/<token>")
@public
def subscription(token: str) -> Any:
    """The page a report's "manage your subscription" link opens (a GET changes nothing)."""
    return render_template("reports/subscription.html", state=_state(_open(token)), token=token)


@public_bp.post("/reports/subscription/<token>")
@public
def subscription_post(token: str) -> Any:
    link = _open(token)
    action = SubscriptionForm().action.data
    if action not in {"subscribe", "unsubscribe"}:
        abort(400)
    if not _apply(link, action == "subscribe"):
        abort(404)
    return render_template(
        "reports/subscription.html", state=_state(link), token=token, done=action
    )


@public_bp.post("/reports/unsubscribe/<token>")
@public
@csrf.exempt
def one_click(token: str) -> Any:
    """RFC 8058 one-click unsubscribe: the mail client POSTs ``List-Unsubscribe=One-Click``.

    Public, CSRF-exempt (the signed token is the credential), idempotent.
    """
    if not _apply(_open(token), False):
        abort(404)
    return Response("Unsubscribed.\n", mimetype="text/plain")


@public_bp.get("/reports/unsubscribe/<token>")
@public
def one_click_page(token: str) -> Any:
    """A GET of the one-click URL (a link scanner, a curious reader) changes nothing."""
    _open(token)
    return redirect(url_for("reports_public.subscription", token=token))
