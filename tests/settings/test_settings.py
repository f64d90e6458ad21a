import pytest

from app.settings import Settings, SettingsError


def test_production_refuses_to_start_without_secret_key():
    with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
        Settings.from_env({"SUMMIT_ENV": "production"})


def test_production_with_secret_and_postgres_url():
    s = Settings.from_env(
        {
            "SUMMIT_ENV": "production",
            "SECRET_KEY": "x" * 40,
            "DATABASE_URL": "postgres://u@db/summit",
        }
    )
    assert s.database_url == "postgresql+psycopg://u@db/summit"
    assert s.is_production


def test_defaults_are_embedded():
    s = Settings.from_env({"SUMMIT_ENV": "test"})
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("instance/summit.db")
    assert s.redis_url == "redis://127.0.0.1:6379/0"
    assert s.base_url == "http://127.0.0.1:5000"
    assert s.mail_transport == "dev"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SUMMIT_ENV": "staging"}, "SUMMIT_ENV"),
        ({"MAIL_TRANSPORT": "pigeon"}, "MAIL_TRANSPORT"),
        ({"MAIL_USE_TLS": "1", "MAIL_USE_SSL": "1"}, "not both"),
    ],
)
def test_bad_settings_say_what_to_fix(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({"SUMMIT_ENV": "test", **env})


def test_base_url_loses_trailing_slash():
    assert Settings.from_env(
        {"SUMMIT_ENV": "test", "SUMMIT_BASE_URL": "https://summit.example.com/"}
    ).base_url == ("https://summit.example.com")


def test_xapi_allowed_origins_are_a_normalised_list_empty_by_default():
    assert Settings.from_env({"SUMMIT_ENV": "test"}).xapi_allowed_origins == ()
    s = Settings.from_env(
        {
            "SUMMIT_ENV": "test",
            "XAPI_ALLOWED_ORIGINS": "https://LMS.example.com/, http://localhost:8080,,",
        }
    )
    assert s.xapi_allowed_origins == ("https://lms.example.com", "http://localhost:8080")


@pytest.mark.parametrize("origin", ["lms.example.com", "https://lms.example.com/course", "*"])
def test_an_xapi_origin_must_be_scheme_and_host(origin):
    with pytest.raises(SettingsError, match="XAPI_ALLOWED_ORIGINS"):
        Settings.from_env({"SUMMIT_ENV": "test", "XAPI_ALLOWED_ORIGINS": origin})
