"""Test fixtures: the real PostgreSQL or SQLite, the real Redis, a real SMTP server.

One database per test session, built by the migrations (so they are tested too).
Each test starts from empty tables: tables are truncated after every test rather
than rolled back, because jobs, workers and outbox delivery commit for real and
some tests run them in other processes.
"""

from __future__ import annotations

import os
import smtplib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app, readcache
from app.extensions import db
from tests.smtp import SmtpSink

KEEP_TABLES = {"alembic_version", "region", "read_epoch", "read_epoch_region"}


def _postgres_database(base_url: str) -> Iterator[str]:
    """Create a throw-away database on the server of ``base_url``; drop it afterwards."""
    from app.settings import normalise_database_url

    url = make_url(normalise_database_url(base_url))
    name = f"summit_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        yield from _postgres_database(base)
    else:
        path = tmp_path_factory.mktemp("db") / "summit-test.db"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


def _static_settings() -> dict[str, Any]:
    """Settings for an app built at collection time (to list routes); it touches nothing."""
    return {"env": "test", "database_url": "sqlite://", "redis_url": "redis://127.0.0.1:6379/15"}


@pytest.fixture(scope="session")
def app_settings(database_url: str, redis_url: str, smtp_sink: SmtpSink) -> dict[str, Any]:
    return {
        "env": "test",
        # the suite's own key (Summit has no fixed one): processes it starts share it
        "secret_key": "summit-test-suite-secret-key-not-for-production",
        "database_url": database_url,
        "redis_url": redis_url,
        "base_url": "http://summit.test",
        "mail_transport": "smtp",
        "mail_server": "127.0.0.1",
        "mail_port": smtp_sink.port,
        "mail_default_sender": "Summit <summit@example.com>",
        "regions_dir": Path(__file__).resolve().parent.parent / "regions",
    }


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs() -> None:
    """``make install`` compiles the catalogs; a checkout tested without it still has them."""
    from app.language import compile_catalogs

    compile_catalogs()


@pytest.fixture(scope="session")
def app(app_settings: dict[str, Any]) -> Iterator[Any]:
    from flask_migrate import upgrade

    from app.regions.services import sync_regions

    application = create_app(app_settings)
    with application.app_context():
        upgrade()
        sync_regions(directory=app_settings["regions_dir"])
        db.session.commit()
        db.session.remove()
    yield application
    from app.tasks import close_redis_clients

    with application.app_context():
        db.engine.dispose()
    close_redis_clients()


@pytest.fixture(autouse=True)
def app_ctx(app: Any, redis_url: str, smtp_sink: SmtpSink) -> Iterator[Any]:
    """Every test runs in an app context on empty tables, an empty queue and mailbox."""
    from app.tasks import get_redis

    smtp_sink.clear()
    with app.app_context():
        get_redis(app).flushdb()
        yield app
        db.session.remove()
        _empty_tables()


def _empty_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    # DELETE in dependency order: on small tables it is much faster than TRUNCATE
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())
    # the rows went without a commit through the app: forget what was counted from them
    readcache.clear()


@pytest.fixture(autouse=True)
def no_outside_mail(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that would reach a mail server other than the local sink."""
    real_connect = smtplib.SMTP.connect

    def guarded(
        self: smtplib.SMTP, host: str = "localhost", port: int = 0, *a: Any, **kw: Any
    ) -> Any:
        if host not in {"127.0.0.1", "localhost", "::1"}:
            raise AssertionError(f"a test tried to reach the outside mail server {host}:{port}")
        return real_connect(self, host, port, *a, **kw)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded)


@pytest.fixture
def make_app(app_settings: dict[str, Any]) -> Iterator[Callable[..., Any]]:
    """``make_app(env="development", ...)``: another app on the suite's database with these
    overrides; its connections are closed after the test (psycopg warns otherwise)."""
    made: list[Any] = []

    def _make(**overrides: Any) -> Any:
        made.append(create_app({**app_settings, **overrides}))
        return made[-1]

    yield _make
    for other in made:
        with other.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Any]:
    """One Playwright driver for the session: a second sync one in the same thread fails."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def client(app: Any) -> Any:
    client = app.test_client()
    # a browser always says which languages its user reads; staff pages without it fall
    # back to the region's language (tests of other languages send their own header)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture(autouse=True)
def fresh_g_per_request(app: Any) -> Iterator[None]:
    """Requests reuse the test's app context, and so its ``g``: empty it per request, as a
    real request would find it (Flask-WTF caches the CSRF token there, for one)."""
    from flask import g, request_started

    def _empty_g(sender: Any, **extra: Any) -> None:
        for key in list(vars(g)):
            delattr(g, key)

    request_started.connect(_empty_g, app)
    yield
    request_started.disconnect(_empty_g, app)


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def login_as(client: Any) -> Callable[[Any], Any]:
    """Sign the test client in as a staff user (sets the session directly)."""
    from app.auth.access import SESSION_USER_KEY

    def _login(user: Any) -> Any:
        db.session.commit()
        with client.session_transaction() as session:
            session.clear()
            session[SESSION_USER_KEY] = user.id
        return client

    return _login


@pytest.fixture
def run_jobs(app: Any) -> Callable[[], int]:
    """Run every queued job with a real RQ worker on the real Redis, in this process."""
    from tests.queued import run_queued_jobs

    return lambda: run_queued_jobs(app)


@pytest.fixture
def csrf_token(client: Any) -> Callable[[str], str]:
    """Fetch a page and return the CSRF token of its first form."""
    import re

    def _token(path: str) -> str:
        response = client.get(path)
        match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
        assert match, f"no CSRF token on {path} ({response.status_code})"
        return match.group(1)

    return _token
