"""Signed, expiring action links bound to one person, one purpose and one object.

Opening a link never changes anything: the route renders a page, and the
decision is a POST from that page (CSRF-protected). Links are built from
``SUMMIT_BASE_URL``, never from the request's Host header.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

DEFAULT_MAX_AGE = timedelta(days=21)


class LinkInvalid(Exception):
    """Tampered, foreign or of another purpose: refuse, say nothing more."""


class LinkExpired(Exception):
    """Genuine but too old; ``claims`` lets the page offer a fresh link to the same person."""

    def __init__(self, claims: ActionClaims) -> None:
        super().__init__("link expired")
        self.claims = claims


@dataclass(frozen=True)
class ActionClaims:
    purpose: str
    person_id: int
    object_id: int


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"summit.link.{purpose}")


def make_token(*, purpose: str, person_id: int, object_id: int) -> str:
    return _serializer(purpose).dumps({"p": person_id, "o": object_id})


def make_action_url(
    *, endpoint: str, purpose: str, person_id: int, object_id: int, **values: Any
) -> str:
    """An absolute link to ``endpoint`` carrying a token for this person, purpose and object."""
    token = make_token(purpose=purpose, person_id=person_id, object_id=object_id)
    return absolute_url(endpoint, token=token, **values)


def absolute_url(endpoint: str, **values: Any) -> str:
    """An absolute URL under ``SUMMIT_BASE_URL`` (works in jobs, without a request)."""
    base = current_app.extensions["summit.settings"].base_url
    adapter = current_app.extensions.get("summit.url_adapter")
    if adapter is None:
        parts = urlsplit(base)
        adapter = current_app.url_map.bind(
            parts.netloc or "localhost", script_name=parts.path or "/"
        )
        current_app.extensions["summit.url_adapter"] = adapter
    path = adapter.build(endpoint, values)
    return f"{urlsplit(base).scheme}://{urlsplit(base).netloc}{path}"


def read_token(token: str, *, purpose: str, max_age: timedelta = DEFAULT_MAX_AGE) -> ActionClaims:
    """Check a token's signature, purpose and age; raise LinkInvalid or LinkExpired."""
    serializer = _serializer(purpose)
    try:
        data = serializer.loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as exc:
        try:
            payload = serializer.load_payload(exc.payload) if exc.payload is not None else None
        except BadSignature as bad:
            raise LinkInvalid() from bad
        raise LinkExpired(_claims(purpose, payload)) from exc
    except BadSignature as exc:
        raise LinkInvalid() from exc
    return _claims(purpose, data)


def _claims(purpose: str, data: Any) -> ActionClaims:
    if not isinstance(data, dict) or not {"p", "o"} <= data.keys():
        raise LinkInvalid()
    return ActionClaims(purpose=purpose, person_id=int(data["p"]), object_id=int(data["o"]))
