"""Staff provisioning from Entra ID: the first sign-in creates the user, every sign-in
brings their Entra-sourced roles in line with the token."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import func, select

from app.audit.services import record
from app.auth.models import Role, RoleAssignment, StaffUser
from app.auth.roles import RoleMapping
from app.db import utcnow
from app.extensions import db
from app.microsoft.entra import claim_email

log = logging.getLogger(__name__)
ENTRA_SOURCE = "entra"


def provision_staff(
    *, claims: dict[str, Any], claim_values: list[str], mapping: RoleMapping
) -> StaffUser | None:
    """Find or create the StaffUser for a verified ID token and sync their Entra roles.

    Changes: creates the StaffUser on first sign-in (matched by ``oid``, else by
    email, which links a user an admin created before, unless that user is bound
    to another Entra account: a reused address gets nothing), sets ``entra_oid``, name
    and ``last_sign_in_at``; adds the mapped RoleAssignments (source "entra") and
    removes Entra-sourced ones the token no longer grants; assignments made by an
    admin or the demo stay. Records an audit event per role change.
    Returns None, creating nothing, when the person holds no role at all.
    """
    oid = str(claims.get("oid") or claims["sub"])
    tid = str(claims.get("tid") or "").lower()
    email = claim_email(claims)
    granted = mapping.grants(claim_values)
    user = db.session.scalars(select(StaffUser).where(StaffUser.entra_oid == oid)).one_or_none()
    if user is not None and user.entra_tid not in (None, tid):
        log.warning("Entra sign-in: staff user %s is linked in another tenant", user.id)
        return None
    if user is None:
        # a first link to a pre-created record: by the UPN the tenant's administrators set
        # (preferred_username), never by the email claim, which users and guests can change
        upn = str(claims.get("preferred_username") or claims.get("upn") or "").strip().lower()
        same_address = db.session.scalars(
            select(StaffUser).where(func.lower(StaffUser.email).in_({upn, email} - {""}))
        ).all()
        by_upn = next((u for u in same_address if u.email.lower() == upn), None)
        if by_upn is None and same_address:
            log.warning(
                "Entra sign-in: staff user %s matches only the email claim; not linked",
                same_address[0].id,
            )
            return None
        if by_upn is not None and by_upn.entra_oid not in (None, oid):
            # the address was reused by another account: never hand it the old one's roles
            log.warning("Entra sign-in: email of staff user %s now has another oid", by_upn.id)
            return None
        user = by_upn
    if user is None:
        if not granted:
            return None
        user = StaffUser(email=email, name=str(claims.get("name") or email), entra_oid=oid)
        db.session.add(user)
        db.session.flush()
        log.info("provisioned staff user %s from Entra ID", user.id)
    user.entra_oid = oid
    user.entra_tid = tid or None
    if claims.get("name"):
        user.name = str(claims["name"])
    current = {(ra.region_id, ra.role): ra for ra in user.roles if ra.source == ENTRA_SOURCE}
    others = {(ra.region_id, ra.role) for ra in user.roles if ra.source != ENTRA_SOURCE}
    for key in granted - current.keys() - others:
        user.roles.append(RoleAssignment(region_id=key[0], role=key[1], source=ENTRA_SOURCE))
        _audit(user, key, "auth.role_granted")
    for key in current.keys() - granted:
        user.roles.remove(current[key])
        _audit(user, key, "auth.role_revoked")
    if current.keys() - granted:
        # a revoked role ends the person's other sessions too (this one begins afresh)
        user.session_version += 1
    if not user.roles or not user.active:
        db.session.flush()
        return None
    user.last_sign_in_at = utcnow()
    db.session.flush()
    return user


def _audit(user: StaffUser, key: tuple[int | None, Role], action: str) -> None:
    region_id, role = key
    record(
        region_id=region_id,
        action=action,
        object_type="staff_user",
        object_id=user.id,
        actor=None,
        channel="entra",
        data={"role": role.value},
    )


def set_staff_locale(*, user: StaffUser, locale: str | None) -> None:
    """Record the language ``user`` reads the staff pages in (None: the browser's, then the
    region's). Changes ``StaffUser.locale``; records an audit event; sends nothing."""
    if user.locale == locale:
        return
    user.locale = locale
    record(
        region_id=None,
        action="staff.locale_changed",
        object_type="staff_user",
        object_id=user.id,
        actor=user,
        channel="web",
        data={"locale": locale},
    )
    db.session.flush()
    log.info("staff user %s reads the staff pages in %s", user.id, locale or "the default")
