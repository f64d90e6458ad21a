"""Entra ID sign-in, strict (issue 18): no multi-tenant authority without an allow-list of
tenant ids; ``tid`` checked against it; an account is linked by ``oid`` and ``tid``, and a
pre-created staff record is linked by the UPN, never by the ``email`` claim alone."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from app.auth.access import SESSION_USER_KEY
from app.auth.models import Role, StaffUser
from app.extensions import db
from app.settings import Settings, SettingsError
from tests.auth.fake_entra import TENANT
from tests.factories import staff

ENTRA = {
    "SUMMIT_ENV": "test",
    "ENTRA_CLIENT_ID": "c",
    "ENTRA_CLIENT_SECRET": "s",
}
OTHER_TENANT = "99999999-8888-7777-6666-555555555555"


@pytest.mark.parametrize(
    "where",
    [
        {"ENTRA_TENANT_ID": "common"},
        {"ENTRA_TENANT_ID": "organizations"},
        {"ENTRA_TENANT_ID": "consumers"},
        {"ENTRA_TENANT_ID": TENANT, "ENTRA_AUTHORITY": "https://login.example/common/"},
    ],
)
def test_a_multi_tenant_authority_needs_an_allow_list(where) -> None:
    with pytest.raises(SettingsError, match="ENTRA_ALLOWED_TENANTS"):
        Settings.from_env({**ENTRA, **where})
    allowed = Settings.from_env({**ENTRA, **where, "ENTRA_ALLOWED_TENANTS": TENANT.upper()})
    assert allowed.entra_allowed_tenants == (TENANT.lower(),)
    with pytest.raises(SettingsError, match="not a tenant id"):
        Settings.from_env({**ENTRA, **where, "ENTRA_ALLOWED_TENANTS": "contoso.com"})


def _session(client: Any) -> dict[str, Any]:
    with client.session_transaction() as session:
        return dict(session)


def test_a_tenant_outside_the_allow_list_is_refused(
    app: Any, client: Any, fake_entra: Any, entra_sign_in: Any, monkeypatch: Any
) -> None:
    settings = app.extensions["summit.settings"]
    monkeypatch.setitem(
        app.extensions, "summit.settings", replace(settings, entra_allowed_tenants=(OTHER_TENANT,))
    )
    response = entra_sign_in()
    assert response.status_code == 400
    assert SESSION_USER_KEY not in _session(client)
    assert db.session.scalars(select(StaffUser)).all() == []


def test_the_token_of_another_tenant_is_refused(
    client: Any, fake_entra: Any, entra_sign_in: Any
) -> None:
    fake_entra.user["tid"] = OTHER_TENANT  # signed by the same keys, another tenant's user
    assert entra_sign_in().status_code == 400
    assert SESSION_USER_KEY not in _session(client)


def test_an_account_is_its_oid_in_its_tenant(
    client: Any, fake_entra: Any, entra_sign_in: Any
) -> None:
    entra_sign_in()
    user = db.session.scalars(select(StaffUser)).one()
    assert (user.entra_oid, user.entra_tid) == (fake_entra.user["oid"], TENANT)
    user.entra_tid = OTHER_TENANT  # linked in another tenant: the same oid is not the same
    db.session.commit()
    client.set_cookie("session", "")
    entra_sign_in()
    assert SESSION_USER_KEY not in _session(client)


def test_the_email_claim_alone_never_links_a_pre_created_record(
    client: Any, fake_entra: Any, entra_sign_in: Any
) -> None:
    admin = staff(Role.GLOBAL_ADMIN, email="boss@contoso.example", name="The Boss")
    db.session.commit()
    # a user whose UPN is theirs but who set their email claim to the admin's address
    fake_entra.user.update(email="boss@contoso.example", roles=["Summit.LocalLead.DE"])
    entra_sign_in()
    assert SESSION_USER_KEY not in _session(client)
    db.session.expire_all()
    assert db.session.get(StaffUser, admin.id).entra_oid is None


def test_a_pre_created_record_is_linked_by_its_upn(
    client: Any, fake_entra: Any, entra_sign_in: Any
) -> None:
    lead = staff(Role.LOCAL_LEAD, "de", email="Alice@Contoso.example", name="Alice")
    db.session.commit()
    entra_sign_in()
    assert _session(client)[SESSION_USER_KEY] == lead.id
    db.session.expire_all()
    assert db.session.get(StaffUser, lead.id).entra_oid == fake_entra.user["oid"]
