"""The one set of link-problem pages, for every purpose: not valid, expired (with "send me
a fresh link"), and fresh link sent.

Every public page opens its token with :func:`app.links.services.open_link` and lets
``LinkInvalid`` / ``LinkExpired`` propagate: the handlers below render the pages
(not valid: 404, whatever was wrong with the link; expired: 410). No capability has
link-problem pages of its own. Every request that carries
a token (a ``<token>`` in the URL, or ``?token=``) is answered with ``Referrer-Policy:
same-origin``, so the token never leaks to another site through the Referer header,
while the page's own form still carries ``Origin`` (``app/csrf.py`` checks it;
``no-referrer`` made browsers send ``Origin: null`` and no Referer). Routes that take a
``<token>`` are rate-limited per token and client address.

The pages speak the language of the person the token was made for when it still says
who (their locale, else their region's), else the best of en/de/fr the browser accepts,
else English: ``links/<lang>/<page>.html`` with the English page as the fallback. (The
blueprint keeps its name, ``links``, and its templates their folder.)
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, abort, render_template, request

from app.auth.access import public
from app.freshlinks.services import (
    can_refresh,
    language_of_link,
    link_page_language,
    send_fresh_link,
)
from app.language import DEFAULT_LOCALE, accepted_locale
from app.links.ratelimit import allow
from app.links.services import LinkExpired, LinkInvalid
from app.transaction import rollback

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


def _page_language(purpose: str | None = None, token: str | None = None) -> str:
    """The language of the person a genuine token names, else the browser's."""
    lang = language_of_link(token, purpose) if purpose and token else None
    return lang or accepted_locale(request.accept_languages) or DEFAULT_LOCALE


def _page(name: str, lang: str, **context: Any) -> str:
    return render_template(f"links/{name}", page_lang=lang, **context)


@public_bp.app_errorhandler(LinkInvalid)
def _invalid(exc: LinkInvalid) -> Any:
    """Tampered, another purpose's, another region's, or naming what is gone: one page,
    a 404 (it never says which), in the language of whoever a genuine token names."""
    rollback()
    return _page("invalid.html", link_page_language(exc.claims, request.accept_languages)), 404


@public_bp.app_errorhandler(LinkExpired)
def _expired(exc: LinkExpired) -> Any:
    """The expired-link page of every purpose: a button asks for a fresh link (a POST)."""
    rollback()
    purpose, token = exc.claims.purpose, exc.token
    return (
        _page(
            "expired.html",
            _page_language(purpose, token),
            token=token,
            purpose=purpose,
            can_refresh=can_refresh(token, purpose),
        ),
        410,
    )


@public_bp.get("/fresh/<link_purpose>/<token>")
@public
def fresh_link_form(link_purpose: str, token: str) -> Any:
    """The "send me a fresh link" page (a GET that changes nothing)."""
    return _page(
        "expired.html",
        _page_language(link_purpose, token),
        token=token,
        purpose=link_purpose,
        can_refresh=can_refresh(token, link_purpose),
    )


@public_bp.post("/fresh/<link_purpose>/<token>")
@public
def fresh_link(link_purpose: str, token: str) -> Any:
    """Send a fresh link to the person the (expired) token was made for. The answer is the
    same whether or not anything was sent: it never tells whether the person (or anything
    for them to do) exists."""
    lang = _page_language(link_purpose, token)
    digest = hashlib.sha256(f"{link_purpose}:{token}".encode()).hexdigest()[:24]
    if allow(f"links:fresh:{digest}", limit=REFRESHES_PER_HOUR, window_seconds=3600):
        send_fresh_link(token=token, purpose=link_purpose)  # LinkInvalid: the "not valid" page
    return _page("fresh_sent.html", lang)
