"""Pooled PostgreSQL connections: pinged only after sitting idle (app.dbsetup.ping_when_idle),
so a busy server saves a round trip per request and a restarted one still costs no error."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, exc, text
from sqlalchemy.pool import NullPool

from app import dbsetup
from app.extensions import db


@pytest.fixture
def engine():
    """The app's engine with an empty pool: the test's first checkout makes the only
    connection. Emptied again afterwards, so no closed connection outlives the test."""
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has no server that could close a connection")
    db.session.remove()
    db.engine.dispose()
    yield db.engine
    db.session.remove()
    db.engine.dispose()


def _pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _server_closes_every_connection(engine) -> None:
    """What a restart or a failover does to the connections waiting in the pool."""
    admin = create_engine(engine.url, poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        connection.commit()
    admin.dispose()


def test_an_idle_connection_the_server_closed_is_replaced_unseen(engine):
    """An engine whose every returned connection counts as idle (the app's waits 10 s)."""
    always = create_engine(engine.url)
    dbsetup.ping_when_idle(always, idle_after=0.0)
    try:
        before = _pid(always)
        _server_closes_every_connection(always)
        assert _pid(always) != before
    finally:
        always.dispose()


def test_a_connection_back_a_moment_ago_is_not_pinged(engine):
    """The busy case, on the app's engine as wired: no ping, so a connection closed within
    that moment fails once, and the pool then replaces every connection it held."""
    _pid(engine)
    _server_closes_every_connection(engine)
    with pytest.raises(exc.OperationalError):
        _pid(engine)
    assert _pid(engine) > 0
