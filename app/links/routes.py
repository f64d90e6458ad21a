"""Public pages for action links: invalid and expired links, and "send me a fresh link".

Any view that calls ``read_token`` may let ``LinkInvalid`` / ``LinkExpired``
propagate: the handlers below render the friendly pages. Every request that carries
a token (a ``<token>`` in the URL, or ``?token=``) is answered with ``Referrer-Policy:
same-origin``, so the token never leaks to another site through the Referer header,
while the page's own form still carries ``Origin`` (``app/csrf.py`` checks it;
``no-referrer`` made browsers send ``Origin: null`` and no Referer). Routes that take a
``<token>`` are rate-limited per token and client address.

The pages speak the language of the person the token was made for when it still says
who (their locale, else their region's), else the best of en/de/fr the browser accepts,
else English: ``links/<lang>/<page>.html`` with the English page as the fallback.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, abort, render_template, request

from app.auth.access import public
from app.extensions import db
from app.links.ratelimit import allow
from app.links.services import (
    RESENDERS,
    ActionClaims,
    LinkExpired,
    LinkInvalid,
    claims_of,
    link_page_language,
    request_fresh_link,
)
from app.mail.rendering import page_templates

public_bp = Blueprint("links", __name__, url_prefix="/links")

#: requests carrying a token, per client address and minute
TOKEN_REQUESTS_PER_MINUTE = 30
#: "send me a fresh link" per token and hour (beyond, the page says it was sent)
REFRESHES_PER_HOUR = 3


def _token() -> str | None:
    """The token of a route that takes one (``<token>`` in its URL), else None."""
    if request.view_args and "token" in request.view_args:
        return str(request.view_args["token"])
    return None


def _carries_token() -> bool:
    return (
        _token() is not None
        or "token" in request.args
        or (request.endpoint or "").startswith("links.")
    )


@public_bp.before_app_request
def _limit_token_requests() -> None:
    """Per token and client (the address ProxyFix gives, behind trusted proxies): a flood of
    made-up tokens from one office's address spends nobody else's budget."""
    token = _token()
    if token is None:
        return
    client = request.remote_addr or "unknown"
    digest = hashlib.sha256(token.encode()).hexdigest()[:24]
    key = f"links:{client}:{digest}"
    if not allow(key, limit=TOKEN_REQUESTS_PER_MINUTE, window_seconds=60):
        abort(429)


@public_bp.after_app_request
def _no_referrer(response: Response) -> Response:
    if _carries_token():
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def _page_language(claims: ActionClaims | None) -> str:
    return link_page_language(claims, request.accept_languages)


def _page(name: str, lang: str, **context: Any) -> str:
    return render_template(page_templates(f"links/{name}", lang), page_lang=lang, **context)


@public_bp.app_errorhandler(LinkInvalid)
def _invalid(exc: LinkInvalid) -> Any:
    db.session.rollback()
    return _page("invalid.html", _page_language(None)), 400


@public_bp.app_errorhandler(LinkExpired)
def _expired(exc: LinkExpired) -> Any:
    db.session.rollback()
    return (
        _page(
            "expired.html",
            _page_language(exc.claims),
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
    return _page(
        "expired.html",
        _page_language(claims_of(token, purpose=link_purpose)),
        token=token,
        purpose=link_purpose,
        can_refresh=link_purpose in RESENDERS,
    )


@public_bp.post("/fresh/<link_purpose>/<token>")
@public
def fresh_link(link_purpose: str, token: str) -> Any:
    """Send a fresh link to the person the (expired) token was made for."""
    purpose = link_purpose
    lang = _page_language(claims_of(token, purpose=purpose))
    digest = hashlib.sha256(f"{purpose}:{token}".encode()).hexdigest()[:24]
    if not allow(f"links:fresh:{digest}", limit=REFRESHES_PER_HOUR, window_seconds=3600):
        return _page("fresh_sent.html", lang, outcome="sent")
    outcome = request_fresh_link(token=token, purpose=purpose)
    db.session.commit()
    return _page("fresh_sent.html", lang, outcome=outcome)
