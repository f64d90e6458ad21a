"""Strict approvals: a manager's decision must come from a browser signed in as that manager.

Some tenants' mail scanners open links and run their JavaScript, so a signed link
alone does not prove a human clicked. With ``ENTRA_STRICT_APPROVALS=true`` a view
that records a decision calls :func:`require_signed_in_person` after loading the
person who decides (before changing anything)::

    manager = get_in_region_or_404(Person, claims["person_id"])
    require_signed_in_person(manager, return_to=url_for("approvals.decide_page", token=token))
    decide(...)

Without the setting it does nothing. With it, a browser that has not signed in
with Entra ID as that person (same email/UPN) is sent to sign in and then back to
``return_to`` (the page with the form, since a POST cannot be replayed); a
browser signed in as someone else gets a 403 page saying so. The sign-in needs no
Summit role: it only proves who is deciding.
"""

from __future__ import annotations

import time
from typing import Any

from flask import (
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from app.microsoft.entra import SESSION_IDENTITY_KEY

#: how long a manager's Entra sign-in counts for decisions
IDENTITY_MAX_AGE_SECONDS = 8 * 3600


def strict_approvals_enabled() -> bool:
    settings = current_app.extensions["summit.settings"]
    return settings.entra_strict_approvals and settings.entra_configured


def signed_in_email() -> str | None:
    """The email Entra ID vouched for in this browser session, if recent."""

    identity = session.get(SESSION_IDENTITY_KEY) or {}
    if not identity.get("email"):
        return None
    if time.time() - identity.get("at", 0) > IDENTITY_MAX_AGE_SECONDS:
        return None
    return identity["email"]


def require_signed_in_person(person: Any, *, return_to: str | None = None) -> None:
    """Abort with a redirect to Entra sign-in (or a 403) unless strict approvals are off
    or this browser signed in as ``person`` (matched on the normalised email)."""
    if not strict_approvals_enabled():
        return
    email = signed_in_email()
    if email is not None and email == (person.email or "").strip().lower():
        return
    if email is not None:
        page = render_template("auth/wrong_person.html", signed_in_as=email, expected=person)
        abort(make_response(page, 403))
    target = return_to or (request.full_path.rstrip("?") if request.method == "GET" else "/")
    abort(redirect(url_for("auth.entra_verify", next=target), code=303))
