"""CSRF protection that works with or without a Referer.

Flask-WTF's token check stays as it is. Its HTTPS "strict referrer" check is replaced:
pages opened from signed email links must not leak their token to other sites, so the
browser may send no Referer at all, and a form that needs one fails for everyone behind
HTTPS. Browsers send ``Origin`` on every POST instead; when they do, it must be Summit's
own origin (``SUMMIT_BASE_URL``, or the origin the request was addressed to). A Referer,
when sent, must be same-origin too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, g, request
from flask_wtf import CSRFProtect


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower case, default ports dropped."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not scheme or not host:
        return ""
    port = parts.port
    if port is None or (scheme, port) in {("http", 80), ("https", 443)}:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def trusted_origins() -> set[str]:
    """The origins a form of Summit is posted from: the base URL's and the request's own."""
    base_url = current_app.extensions["summit.settings"].base_url
    return {o for o in (origin_of(base_url), origin_of(request.host_url)) if o}


class OriginCheckingCSRF(CSRFProtect):
    """Flask-WTF's CSRF token check, then the request's ``Origin`` (or ``Referer``)."""

    def protect(self, apply_exemptions: bool = False) -> None:
        g.pop("csrf_valid", None)
        super().protect(apply_exemptions=apply_exemptions)
        if not g.get("csrf_valid"):
            return  # an exempt view or a safe method
        origin = request.headers.get("Origin")
        if origin is not None:
            # "null" is what a sandboxed frame or a no-referrer page sends: not ours
            if origin_of(origin) not in trusted_origins():
                g.csrf_valid = False
                self._error_response("The Origin header does not match this site.")
        elif request.referrer and origin_of(request.referrer) not in trusted_origins():
            g.csrf_valid = False
            self._error_response("The referrer does not match this site.")
