"""Entra ID settings: read from the environment, fail fast when incomplete."""

from __future__ import annotations

import pytest

from app.settings import Settings, SettingsError

BASE = {"SUMMIT_ENV": "test", "DATABASE_URL": "sqlite://"}
ENTRA = {"ENTRA_TENANT_ID": "t-1", "ENTRA_CLIENT_ID": "c-1", "ENTRA_CLIENT_SECRET": "s"}


def test_entra_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            **BASE,
            **ENTRA,
            "ENTRA_ADMIN_ROLES": "Summit.Admin, 0c0e-group ",
            "ENTRA_STRICT_APPROVALS": "true",
            "ENTRA_DIRECTORY_REGION_ATTRIBUTE": "officeLocation",
            "ENTRA_TEAMS_ORGANIZER": "calls@contoso.example",
            "MAIL_TRANSPORT": "graph",
        }
    )
    assert settings.entra_admin_roles == ("Summit.Admin", "0c0e-group")
    assert settings.entra_strict_approvals
    assert settings.entra_directory_region_attribute == "officeLocation"
    assert settings.entra_authority_url == "https://login.microsoftonline.com/t-1"
    assert settings.entra_redirect_url == "http://127.0.0.1:5000/auth/entra/callback"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ENTRA_TENANT_ID": "t", "ENTRA_CLIENT_ID": "c"}, "has no credential"),
        ({"MAIL_TRANSPORT": "graph"}, "MAIL_TRANSPORT=graph"),
        (
            {**ENTRA, "SUMMIT_ENV": "production", "SECRET_KEY": "k" * 40},
            "must start with https://",
        ),
    ],
)
def test_incomplete_entra_settings_fail_fast(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({**BASE, **environ})
