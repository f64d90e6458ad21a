"""The HTTP Basic credentials a course platform sends a rollout's statements with."""

from __future__ import annotations

import hashlib
import hmac
import secrets

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


def authenticate(key: str, secret: str) -> tuple[Region, Rollout] | None:
    """The credential's region and rollout for valid Basic credentials, else None.

    Every xAPI request pays this, so the credential, its region and its rollout are one
    round trip. It runs before any region is granted: the scope is lifted for this one
    lookup by unique key (not a listing), and restored.
    """
    previous = region_scope(db.session)
    set_region_scope(db.session, None)
    try:
        row = db.session.execute(
            select(XapiCredential.secret_hash, Region, Rollout)
            .join(Rollout, Rollout.id == XapiCredential.rollout_id)
            .join(Region, Region.id == XapiCredential.region_id)
            .where(XapiCredential.key == key, Rollout.region_id == Region.id)
        ).one_or_none()
    finally:
        set_region_scope(db.session, previous)
    expected = row.secret_hash if row is not None else _hash_secret("")
    if not hmac.compare_digest(expected, _hash_secret(secret)) or row is None:
        return None
    return row.Region, row.Rollout
