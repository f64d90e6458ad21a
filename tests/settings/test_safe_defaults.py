"""Safe defaults (issue 18): production rules unless SUMMIT_ENV=development is set
explicitly; production refuses a short SECRET_KEY; the test environment has no fixed key."""

from __future__ import annotations

import pytest

from app.auth.models import Role
from app.extensions import db
from app.settings import Settings, SettingsError
from tests.factories import staff

GOOD_KEY = "k" * 32


def test_no_summit_env_means_production_rules() -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
        Settings.from_env({})
    assert Settings.from_env({"SECRET_KEY": GOOD_KEY}).is_production
    assert Settings.from_env({"SUMMIT_ENV": "", "SECRET_KEY": GOOD_KEY}).is_production


@pytest.mark.parametrize("key", ["short", "x" * 31, "é" * 15])
def test_production_refuses_a_secret_key_under_32_bytes(key) -> None:
    with pytest.raises(SettingsError, match="shorter than 32 bytes"):
        Settings.from_env({"SUMMIT_ENV": "production", "SECRET_KEY": key})
    assert Settings.from_env({"SUMMIT_ENV": "production", "SECRET_KEY": "é" * 16}).secret_key


def test_the_test_environment_has_no_fixed_key() -> None:
    one = Settings.from_env({"SUMMIT_ENV": "test"}).secret_key
    two = Settings.from_env({"SUMMIT_ENV": "test"}).secret_key
    assert one != two and len(one.encode()) >= 32
    assert "test-secret-key-not-for-production" not in (one, two)


@pytest.mark.parametrize("env", ["test", "production"])
def test_the_development_sign_in_exists_only_in_development(make_app, env) -> None:
    staff(Role.GLOBAL_ADMIN, name="Ada Admin")
    db.session.commit()
    client = make_app(env=env, secret_key=GOOD_KEY).test_client()
    assert "Ada Admin" not in client.get("/auth/sign-in").get_data(as_text=True)
    assert client.post("/auth/dev-sign-in", data={"user_id": 1}).status_code in (400, 404)
    development = make_app(env="development", secret_key=GOOD_KEY).test_client()
    assert "Ada Admin" in development.get("/auth/sign-in").get_data(as_text=True)
