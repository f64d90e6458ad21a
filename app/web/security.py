"""Security headers on every response."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Request, Response, current_app, has_request_context, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer

#: seconds a session cookie is sent back unchanged before it is signed afresh (its 8 hours
#: of inactivity start again): not on every request, where signing and sending it cost a
#: kept page (``app/readcache.py``) more than the page itself
SESSION_REFRESH_AFTER = 300

#: a year, the value HSTS preload lists ask for; sent only when SUMMIT_BASE_URL is https
HSTS = "max-age=31536000"

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


@lru_cache(maxsize=8)
def content_security_policy(entra_authority: str | None) -> str:
    """:data:`CSP`, with Entra ID's sign-in host among the form targets when it is on.

    Browsers apply ``form-action`` to the redirects a form submission follows: "Sign in
    with Microsoft" and "Sign out" post to Summit, which answers with a redirect to the
    authority (its authorize and logout endpoints); with ``form-action 'self'`` alone
    Chromium aborted both, and no staff member could sign in or out of Entra ID."""
    if not entra_authority:
        return CSP
    parts = urlsplit(entra_authority)
    return CSP.replace("form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}")


#: session cookies a process keeps as verified (with their signing time and contents)
VERIFIED_COOKIES = 4096
#: the values a verified cookie's contents may hold to be kept: immutable, so each
#: request's session can be a plain copy
_KEPT_VALUES = (str, int, float, bool, type(None))


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked ``Secure`` whenever the request came over
    HTTPS (as the proxy says, once trusted), not only when the base URL is https.

    An unchanged permanent session's cookie is signed and sent again only once it is
    :data:`SESSION_REFRESH_AFTER` seconds old (Flask: on every response). The lifetime
    still slides with use, within those few minutes; a changed session (sign-in, sign-out,
    a flash, a new CSRF token) is sent at once, as before.

    The signing serializer is built once per set of keys (Flask builds one per request,
    and building it signs a test value); a new ``SECRET_KEY`` or fallback list gets its
    own. A cookie it verified is kept with its signing time and contents (at most
    :data:`VERIFIED_COOKIES`, only when they are plain values) with that serializer: the
    same cookie again, on each request of the session until it is signed afresh, is
    looked up rather than verified, decompressed and parsed again. Its age is checked on
    every request as itsdangerous checks it; a new set of keys starts with none kept.
    """

    def __init__(self) -> None:
        self._signing: _Signing | None = None

    def _current(self, app: Flask) -> _Signing | None:
        if not app.secret_key:
            return None
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        signing = self._signing
        if signing is None or signing.keys != keys:
            serializer = super().get_signing_serializer(app)
            assert serializer is not None
            signing = self._signing = _Signing(keys, serializer)
        return signing

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        signing = self._current(app)
        return None if signing is None else signing.serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        signing = self._current(app)
        if signing is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        verified = signing.verified.get(value)
        if verified is not None:
            signed_at, data = verified
            age = int(time.time()) - signed_at
            if age > max_age or age < 0:  # as itsdangerous: expired, or from the future
                return self.session_class()
        else:
            try:
                data, signed = signing.serializer.loads(
                    value, max_age=max_age, return_timestamp=True
                )
            except BadSignature:
                return self.session_class()
            signed_at = int(signed.timestamp())
            if isinstance(data, dict) and all(isinstance(v, _KEPT_VALUES) for v in data.values()):
                if len(signing.verified) >= VERIFIED_COOKIES:
                    signing.verified.clear()
                signing.verified[value] = (signed_at, data)
        found = self.session_class(data)  # a copy: the kept contents never change
        found.summit_signed_at = float(signed_at)  # type: ignore[attr-defined]
        return found

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "summit_signed_at", None)
        return signed_at is None or time.time() - signed_at >= SESSION_REFRESH_AFTER

    def get_cookie_secure(self, app: Flask) -> bool:
        if has_request_context() and request.is_secure:
            return True
        return super().get_cookie_secure(app)


class _Signing:
    """The serializer of one set of keys, and the cookies verified with it."""

    __slots__ = ("keys", "serializer", "verified")

    def __init__(self, keys: tuple[Any, ...], serializer: URLSafeTimedSerializer) -> None:
        self.keys, self.serializer = keys, serializer
        self.verified: dict[str, tuple[int, dict[str, Any]]] = {}


def init_app(app: Flask) -> None:
    app.session_interface = SessionCookies()

    @app.after_request
    def _headers(response: Response) -> Response:
        settings = current_app.extensions["summit.settings"]
        defaults = security_headers(
            settings.entra_authority_url if settings.entra_configured else None,
            https=settings.base_url.startswith("https://"),
            no_store=bool(request.endpoint and request.endpoint != "static"),
        )
        # each one the view did not set (one pass over the response's few headers, not a
        # scan of them per default)
        have = {name.lower() for name, _ in response.headers}
        for lowered, name, value in defaults:
            if lowered not in have:
                response.headers.add(name, value)
        return response


@lru_cache(maxsize=16)
def security_headers(
    entra_authority: str | None, *, https: bool, no_store: bool
) -> tuple[tuple[str, str, str], ...]:
    """The headers every response gets unless its view set them: (lower-case name, name,
    value). HSTS over https; ``Cache-Control: no-store`` on every page but static files."""
    headers = [
        ("Content-Security-Policy", content_security_policy(entra_authority)),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
    ]
    if https:
        headers.append(("Strict-Transport-Security", HSTS))
    if no_store:
        headers.append(("Cache-Control", "no-store"))
    return tuple((name.lower(), name, value) for name, value in headers)
