"""Signed, expiring action links bound to one person, one purpose and one object.

Opening a link never changes anything: the route renders a page, and the
decision is a POST from that page (CSRF-protected). Links are built from
``SUMMIT_BASE_URL``, never from the request's Host header.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes, want_bytes
from itsdangerous.signer import HMACAlgorithm
from sqlalchemy import select

from app.extensions import db
from app.scoping import region_scope, set_region_scope

T = TypeVar("T")

DEFAULT_MAX_AGE = timedelta(days=21)
#: an expired token still names its person (for the page's language) this long after issue
REFRESH_MAX_AGE = timedelta(days=180)


class LinkInvalid(Exception):
    """Tampered, foreign, of another purpose, or naming what is gone: refuse, say nothing
    more. ``claims`` (a genuine token whose object is gone) only picks the page's language."""

    def __init__(self, claims: ActionClaims | None = None) -> None:
        super().__init__("link not valid")
        self.claims = claims


class LinkExpired(Exception):
    """Genuine but too old; ``claims`` lets the page offer a fresh link to the same person."""

    def __init__(self, claims: ActionClaims, token: str = "") -> None:
        super().__init__("link expired")
        self.claims = claims
        #: the expired token itself, carried by the "send me a fresh link" form
        self.token = token


@dataclass(frozen=True)
class ActionClaims:
    purpose: str
    person_id: int
    object_id: int


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return _serializer_for(current_app.config["SECRET_KEY"], purpose)


@lru_cache(maxsize=64)
def _serializer_for(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"summit.link.{purpose}")


def make_token(*, purpose: str, person_id: int, object_id: int) -> str:
    return token_maker(purpose)(person_id, object_id)


def _payload(person_id: int, object_id: int) -> bytes:
    """A token's payload as ``URLSafeTimedSerializer.dumps`` writes ``{"p": …, "o": …}``
    (compact JSON, URL-safe base64), without its zlib attempt: that cost 13 µs of a token's
    17 (two tokens a weekly email, a million emails a week) and won a byte or two only on
    ids of repeated digits. ``loads`` reads both forms."""
    return base64_encode(b'{"p":%d,"o":%d}' % (person_id, object_id))


def make_action_url(
    *, endpoint: str, purpose: str, person_id: int, object_id: int, **values: Any
) -> str:
    """An absolute link to ``endpoint`` carrying a token for this person, purpose and object."""
    token = make_token(purpose=purpose, person_id=person_id, object_id=object_id)
    return absolute_url(endpoint, token=token, **values)


#: stands for the token while a URL is built once for many tokens (URL-safe)
_LINK_SLOT = "SUMMITLINKSLOT"


def token_maker(purpose: str) -> Callable[[int, int], str]:
    """``make_token`` for many people at once (bulk email): ``make(person_id, object_id)``."""
    serializer = _serializer(purpose)
    # ``serializer.dumps`` makes a signer, derives its key and starts an HMAC per token;
    # here once per call of token_maker (the same bytes: tests/links/test_links.py)
    signer = serializer.make_signer(serializer.salt)
    assert isinstance(signer, TimestampSigner) and isinstance(signer.algorithm, HMACAlgorithm)
    mac = hmac.new(signer.derive_key(), digestmod=signer.algorithm.digest_method)
    sep = want_bytes(signer.sep)

    def make(person_id: int, object_id: int) -> str:
        value = b"".join(
            (
                _payload(person_id, object_id),
                sep,
                base64_encode(int_to_bytes(signer.get_timestamp())),
            )
        )
        signature = mac.copy()
        signature.update(value)
        return (value + sep + base64_encode(signature.digest())).decode()

    return make


def url_with_token(endpoint: str, **values: Any) -> Callable[[str], str]:
    """``absolute_url(endpoint, token=…, **values)`` built once: ``url(token)`` puts each
    token in (tokens are URL-safe, so this is what building each URL would give)."""
    before, _, after = absolute_url(endpoint, token=_LINK_SLOT, **values).partition(_LINK_SLOT)
    return lambda token: before + token + after


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


def read_token(
    token: str,
    *,
    purpose: str,
    max_age: timedelta = DEFAULT_MAX_AGE,
    person_id: int | None = None,
    object_id: int | None = None,
) -> ActionClaims:
    """Check a token's signature, purpose and age; raise LinkInvalid or LinkExpired.

    Pass ``object_id`` (and ``person_id``) when the URL names the object too: a
    token for request A used on request B is then refused as LinkInvalid.
    Uncaught, both exceptions render the friendly link pages (``app/freshlinks/routes.py``).
    """
    claims = read_claims(token, purpose=purpose, max_age=max_age)
    if object_id is not None and claims.object_id != int(object_id):
        raise LinkInvalid()
    if person_id is not None and claims.person_id != int(person_id):
        raise LinkInvalid()
    return claims


def read_claims(token: str, *, purpose: str, max_age: timedelta) -> ActionClaims:
    """A token's claims when its signature and purpose hold; LinkExpired past ``max_age``."""
    serializer = _serializer(purpose)
    try:
        data = serializer.loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as exc:
        try:
            payload = serializer.load_payload(exc.payload) if exc.payload is not None else None
        except BadSignature as bad:
            raise LinkInvalid() from bad
        raise LinkExpired(_claims(purpose, payload), token) from exc
    except BadSignature as exc:
        raise LinkInvalid() from exc
    return _claims(purpose, data)


def _claims(purpose: str, data: Any) -> ActionClaims:
    if not isinstance(data, dict) or not {"p", "o"} <= data.keys():
        raise LinkInvalid()
    return ActionClaims(purpose=purpose, person_id=int(data["p"]), object_id=int(data["o"]))


@dataclass(frozen=True)
class OpenedLink(Generic[T]):
    """A verified link: its claims, the object it names and the person it was made for,
    loaded under the region scope the link grants (and nothing else)."""

    claims: ActionClaims
    #: the row the token's object id names (None for a purpose without one)
    obj: T
    #: the row the token's person id names, when the purpose names a person model
    person: Any
    #: the region granted for the object (None: a purpose without a region)
    region_id: int | None


def open_link(
    token: str,
    *,
    purpose: str,
    model: type[T] | None,
    person_model: type[Any] | None = None,
    max_age: timedelta = DEFAULT_MAX_AGE,
    region_id: int | None = None,
) -> OpenedLink[T]:
    """The one way a public page opens a signed link: verify the token for ``purpose``, then
    grant this request the region of the object it names (and of its person: a manager may
    live in another region than the rollout), then load both under that scope.

    Raises :class:`LinkExpired` for a genuine token past ``max_age`` and
    :class:`LinkInvalid` for everything else: tampered, another purpose's token, an object
    or person gone (or erased), or an object of another region than the URL's
    ``region_id``. Uncaught, both render the one set of link pages (``app/freshlinks/routes.py``).
    """
    claims = read_claims(token, purpose=purpose, max_age=max_age)
    return load_linked(claims, model=model, person_model=person_model, region_id=region_id)


def load_linked(
    claims: ActionClaims,
    *,
    model: type[T] | None,
    person_model: type[Any] | None = None,
    region_id: int | None = None,
) -> OpenedLink[T]:
    """:func:`open_link` for claims already verified (the fresh-link finders get those).

    Only the owning regions are read across regions (the signature vouches for the ids);
    the scope is then set to exactly those regions, and the rows are loaded under it.
    A model without ``region_id`` is the region itself (a sponsor link names a region);
    a person model without ``region_id`` (a staff member) adds no region.
    """
    regions: set[int] = set()
    object_region = None
    if model is not None:
        object_region = _region_of(model, claims.object_id)
        if object_region is None or (region_id is not None and object_region != int(region_id)):
            raise LinkInvalid(claims)
        regions.add(object_region)
    if person_model is not None and hasattr(person_model, "region_id"):
        person_region = _region_of(person_model, claims.person_id)
        if person_region is None:
            raise LinkInvalid(claims)
        regions.add(person_region)
    set_region_scope(db.session, regions)
    obj = db.session.get(model, claims.object_id) if model is not None else None
    person = db.session.get(person_model, claims.person_id) if person_model is not None else None
    if model is not None and obj is None:
        raise LinkInvalid(claims)
    if person_model is not None and (person is None or getattr(person, "erased_at", None)):
        raise LinkInvalid(claims)
    return OpenedLink(claims=claims, obj=obj, person=person, region_id=object_region)  # type: ignore[arg-type]


@contextmanager
def unscoped() -> Iterator[None]:
    """Lift the region scope for a system read (an id, a yes/no) that must span regions;
    the request's scope is restored afterwards."""
    previous = region_scope(db.session)
    set_region_scope(db.session, None)
    try:
        yield
    finally:
        set_region_scope(db.session, previous)


def _region_of(model: Any, row_id: int) -> int | None:
    """The region owning row ``row_id`` of ``model`` (None: no such row), read across
    regions; only a region id comes out."""
    column = getattr(model, "region_id", None)
    if column is None:
        column = model.id  # the row is a region
    with unscoped():
        return db.session.scalar(select(column).where(model.id == int(row_id)))


def claims_of(token: str, *, purpose: str) -> ActionClaims | None:
    """Who and what a genuine token names, expired or not (None when it is not genuine):
    enough to speak to that person in their language, never to act for them."""
    try:
        return read_claims(token, purpose=purpose, max_age=REFRESH_MAX_AGE)
    except LinkExpired as exc:
        return exc.claims
    except LinkInvalid:
        return None
