"""Security headers on every response."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, has_request_context, request
from flask.sessions import SecureCookieSessionInterface

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


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked ``Secure`` whenever the request came over
    HTTPS (as the proxy says, once trusted), not only when the base URL is https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        if has_request_context() and request.is_secure:
            return True
        return super().get_cookie_secure(app)


def init_app(app: Flask) -> None:
    app.session_interface = SessionCookies()

    @app.after_request
    def _headers(response: Response) -> Response:
        settings = current_app.extensions["summit.settings"]
        authority = settings.entra_authority_url if settings.entra_configured else None
        response.headers.setdefault("Content-Security-Policy", content_security_policy(authority))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if settings.base_url.startswith("https://"):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.endpoint and request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
