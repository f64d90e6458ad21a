"""The HTTP Basic credentials a course platform sends a rollout's statements with."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.progress.models import XapiCredential
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.scoping import region_scope, set_region_scope


def issue_credentials(
    *, region: Region, rollout: Rollout, rotate: bool = False
) -> tuple[str, str | None]:
    """Create the rollout's xAPI credentials, or with ``rotate`` replace the secret.

    Returns (key, secret); the secret is None when credentials existed and were kept
    (it is stored hashed and cannot be shown again). Flushes.
    """
    credential = db.session.scalars(
        select(XapiCredential).where(XapiCredential.rollout_id == rollout.id)
    ).one_or_none()
    if credential is not None and not rotate:
        return credential.key, None
    secret = secrets.token_urlsafe(32)
    if credential is None:
        credential = XapiCredential(
            region_id=region.id,
            rollout_id=rollout.id,
            key=f"{rollout.slug[:40]}-{secrets.token_hex(6)}",
            secret_hash="",
        )
        db.session.add(credential)
    else:
        credential.rotated_at = utcnow()
    credential.secret_hash = _hash_secret(secret)
    db.session.flush()
    _verified.clear()  # this process stops accepting the old secret at once
    record(
        region_id=region.id,
        action="xapi.credentials_rotated" if rotate else "xapi.credentials_issued",
        obj=credential,
        channel="cli",
        data={"rollout": rollout.slug},
    )
    return credential.key, secret


def _hash_secret(secret: str) -> str:
    # the secret is 256 random bits, so a fast hash is enough (no dictionary to slow down),
    # and every statement request is checked without burning CPU on a password KDF
    return "sha256$" + hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Verified:
    """Valid credentials: the rollout and region they grant (ids only, no ORM object)."""

    region_id: int
    rollout_id: int


#: how long this process accepts credentials it verified without asking the database again:
#: a rotated secret (or a deleted rollout) stops working in other processes within this
VERIFIED_TTL = 30.0
_VERIFIED_MAX = 1024


class _VerifiedCache:
    """Credentials verified lately, keyed by an HMAC of key and secret under the app's
    SECRET_KEY (the secret itself is never kept); only successes are kept, each for
    :data:`VERIFIED_TTL` seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[bytes, tuple[float, Verified]] = {}

    def get(self, digest: bytes) -> Verified | None:
        entry = self._entries.get(digest)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, digest: bytes, value: Verified) -> None:
        with self._lock:
            if len(self._entries) >= _VERIFIED_MAX:
                now = time.monotonic()
                self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
                if len(self._entries) >= _VERIFIED_MAX:
                    self._entries.clear()
            self._entries[digest] = (time.monotonic() + VERIFIED_TTL, value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_verified = _VerifiedCache()


def authenticate(key: str, secret: str) -> Verified | None:
    """The region and rollout that valid Basic credentials grant, else None.

    Every xAPI request pays this: credentials this process verified in the last
    :data:`VERIFIED_TTL` seconds are not looked up again (no round trip); otherwise the
    credential is one query by unique key, run before any region is granted (the scope is
    lifted for this one lookup, not a listing, and restored).
    """
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(), f"{key}:{secret}".encode(), hashlib.sha256
    ).digest()
    found = _verified.get(digest)
    if found is not None:
        return found
    previous = region_scope(db.session)
    set_region_scope(db.session, None)
    try:
        row = db.session.execute(
            select(XapiCredential.secret_hash, Region.id, Rollout.id)
            .join(Rollout, Rollout.id == XapiCredential.rollout_id)
            .join(Region, Region.id == XapiCredential.region_id)
            .where(XapiCredential.key == key, Rollout.region_id == Region.id)
        ).one_or_none()
    finally:
        set_region_scope(db.session, previous)
    expected = row[0] if row is not None else _hash_secret("")
    if not hmac.compare_digest(expected, _hash_secret(secret)) or row is None:
        return None
    found = Verified(region_id=row[1], rollout_id=row[2])
    _verified.put(digest, found)
    return found


def load_rollout(rollout_id: int) -> tuple[Region, Rollout] | None:
    """The rollout and its region as ORM objects (one query), None if it is gone."""
    row = db.session.execute(
        select(Region, Rollout)
        .join(Rollout, Rollout.region_id == Region.id)
        .where(Rollout.id == rollout_id)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None
