"""Public pages for action links: invalid and expired links, and "send me a fresh link".

Any view that calls ``read_token`` may let ``LinkInvalid`` / ``LinkExpired``
propagate: the handlers below render the friendly pages. Every request that
carries a token (a ``<token>`` in the URL, or ``?token=``) is rate-limited per
client address and answered with ``Referrer-Policy: no-referrer``, so the token
never leaks to another site through the Referer header.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, abort, render_template, request

from app.auth.access import public
from app.extensions import db
from app.links.ratelimit import allow
from app.links.services import RESENDERS, LinkExpired, LinkInvalid, request_fresh_link

public_bp = Blueprint("links", __name__, url_prefix="/links")

#: requests carrying a token, per client address and minute
TOKEN_REQUESTS_PER_MINUTE = 30
#: "send me a fresh link" per token and hour (beyond, the page says it was sent)
REFRESHES_PER_HOUR = 3


def _carries_token() -> bool:
    return bool(
        (request.view_args and "token" in request.view_args)
        or "token" in request.args
        or (request.endpoint or "").startswith("links.")
    )


@public_bp.before_app_request
def _limit_token_requests() -> None:
    if not _carries_token():
        return
    client = request.remote_addr or "unknown"
    if not allow(f"links:{client}", limit=TOKEN_REQUESTS_PER_MINUTE, window_seconds=60):
        abort(429)


@public_bp.after_app_request
def _no_referrer(response: Response) -> Response:
    if _carries_token():
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


@public_bp.app_errorhandler(LinkInvalid)
def _invalid(exc: LinkInvalid) -> Any:
    db.session.rollback()
    response = render_template("links/invalid.html"), 400
    return response


@public_bp.app_errorhandler(LinkExpired)
def _expired(exc: LinkExpired) -> Any:
    db.session.rollback()
    return (
        render_template(
            "links/expired.html",
            token=exc.token,
            purpose=exc.claims.purpose,
            can_refresh=exc.claims.purpose in RESENDERS,
        ),
        410,
    )


@public_bp.get("/fresh/<link_purpose>/<token>")
@public
def fresh_link_form(link_purpose: str, token: str) -> Any:
    """The "send me a fresh link" page (a GET that changes nothing)."""
    return render_template(
        "links/expired.html",
        token=token,
        purpose=link_purpose,
        can_refresh=link_purpose in RESENDERS,
    )


@public_bp.post("/fresh/<link_purpose>/<token>")
@public
def fresh_link(link_purpose: str, token: str) -> Any:
    """Send a fresh link to the person the (expired) token was made for."""
    purpose = link_purpose
    digest = hashlib.sha256(f"{purpose}:{token}".encode()).hexdigest()[:24]
    if not allow(f"links:fresh:{digest}", limit=REFRESHES_PER_HOUR, window_seconds=3600):
        return render_template("links/fresh_sent.html", outcome="sent")
    outcome = request_fresh_link(token=token, purpose=purpose)
    db.session.commit()
    return render_template("links/fresh_sent.html", outcome=outcome)
