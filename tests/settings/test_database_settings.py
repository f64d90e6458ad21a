"""PostgreSQL settings per process (issue 26): the connection pool's size, and a statement
timeout for the web process shorter than the one of the workers, scheduler and CLI."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from app.dbsetup import name_process
from app.extensions import db
from app.settings import Settings, SettingsError


def test_the_pool_and_timeouts_have_defaults_and_come_from_the_environment():
    default = Settings.from_env({"SUMMIT_ENV": "test"})
    assert (default.database_pool_size, default.database_max_overflow) == (5, 5)
    assert default.database_pool_timeout == 10
    assert default.database_statement_timeout_web == 30
    assert default.database_statement_timeout_jobs == 1800
    given = Settings.from_env(
        {
            "SUMMIT_ENV": "test",
            "DATABASE_POOL_SIZE": "8",
            "DATABASE_MAX_OVERFLOW": "0",
            "DATABASE_POOL_TIMEOUT": "3",
            "DATABASE_STATEMENT_TIMEOUT_WEB": "15",
            "DATABASE_STATEMENT_TIMEOUT_JOBS": "0",
        }
    )
    assert (given.database_pool_size, given.database_max_overflow) == (8, 0)
    assert given.database_pool_timeout == 3
    assert (given.database_statement_timeout_web, given.database_statement_timeout_jobs) == (15, 0)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_POOL_SIZE", "0"),
        ("DATABASE_MAX_OVERFLOW", "-1"),
        ("DATABASE_POOL_TIMEOUT", "0"),
        ("DATABASE_STATEMENT_TIMEOUT_WEB", "-5"),
        ("DATABASE_STATEMENT_TIMEOUT_JOBS", "soon"),
    ],
)
def test_a_bad_pool_or_timeout_setting_is_refused(name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"SUMMIT_ENV": "test", name: value})


def _timeout(app) -> str:
    with app.app_context():
        db.engine.dispose()  # a new connection: the setting is given as it opens
        with db.engine.connect() as conn:
            return conn.execute(text("SHOW statement_timeout")).scalar()


def test_each_process_kind_gets_its_statement_timeout(make_app):
    app = make_app(database_statement_timeout_web=7, database_statement_timeout_jobs=600)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: SQLite has no statement timeout")
        assert db.engine.pool.size() == 5
    assert _timeout(app) == "7s"
    name_process("summit-worker")
    try:
        assert _timeout(app) == "10min"
    finally:
        name_process("summit-web")
    assert _timeout(app) == "7s"


def _jit(app) -> str:
    with app.app_context():
        db.engine.dispose()
        with db.engine.connect() as conn:
            return conn.execute(text("SHOW jit")).scalar()


def test_web_connections_compile_no_query_and_jobs_keep_the_servers_choice(make_app):
    # JIT compiled a filtered xAPI page for 40 ms that then ran in under one
    app = make_app()
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only")
        plain = create_engine(db.engine.url)  # the server's own setting: no options given
        with plain.connect() as conn:
            server_jit = conn.execute(text("SHOW jit")).scalar()
        plain.dispose()
    assert _jit(app) == "off"
    name_process("summit-worker")
    try:
        assert _jit(app) == server_jit
    finally:
        name_process("summit-web")
    assert _jit(app) == "off"


def test_the_pool_size_is_the_settings(make_app):
    app = make_app(database_pool_size=3, database_max_overflow=2)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only: SQLite keeps its own pool")
        assert db.engine.pool.size() == 3
        assert db.engine.pool._max_overflow == 2
