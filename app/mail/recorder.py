"""The outbox's recording connection: each delivery outcome committed at once, on its own.

:func:`recorder` opens one autocommit connection for a delivery batch; :func:`write` and
:func:`execute` run an outcome's conditional UPDATE on it (or on the session outside a
batch). A connection the server cuts is replaced and the UPDATE run once more: every
UPDATE is conditional on the lease owner, so a repeat changes nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from app.extensions import db

log = logging.getLogger(__name__)

_local = threading.local()


@contextmanager
def recorder() -> Iterator[Connection]:
    """One autocommit connection that records every outcome in a single round trip.

    Each UPDATE commits on its own, at once: a killed worker loses at most the
    outcome it was about to write. The guarantee needed is against a killed
    *worker*, not a crashed database server, so the commit does not wait for the
    disk: PostgreSQL's ``synchronous_commit = off`` and SQLite's WAL with
    ``synchronous = NORMAL`` both keep a committed row when the worker dies (a
    server or OS crash may lose the last fraction of a second, which then
    repeats with the same Message-ID). A connection the server cuts is replaced
    (see :func:`_on_recorder`).
    """
    _local.conn = _open_recorder()
    try:
        yield _local.conn
    finally:
        conn, _local.conn = _local.conn, None
        try:
            if not conn.invalidated:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("RESET synchronous_commit"))
                elif conn.dialect.name == "sqlite":
                    conn.execute(text("PRAGMA synchronous = FULL"))
        finally:
            conn.close()


def _open_recorder() -> Connection:
    conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET synchronous_commit TO OFF"))
    elif conn.dialect.name == "sqlite":
        conn.execute(text("PRAGMA synchronous = NORMAL"))
    return conn


def _on_recorder(conn: Connection, stmt: Any, params: dict[str, Any] | None = None) -> Any:
    """Run one UPDATE on the recorder; its result. When the server cut the connection
    (a restart, a failover, pg_terminate_backend), run it once more on a new one: an
    acceptance not recorded would be sent again. Every UPDATE here is conditional on the
    lease owner, so one that had committed before the cut changes nothing the second time."""
    try:
        return conn.execute(stmt, params)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        log.warning("the recording connection was cut (%s): recording on a new one", error.orig)
        conn.close()
        _local.conn = conn = _open_recorder()
        return conn.execute(stmt, params)


def write(stmt: Any) -> None:
    conn = getattr(_local, "conn", None)
    if conn is not None:
        _on_recorder(conn, stmt)
        return
    db.session.execute(stmt.execution_options(synchronize_session=False))
    db.session.commit()


def execute(stmt: Any, params: dict[str, Any]) -> int:
    """Run one prepared UPDATE on the recorder (or the session) and commit; its rowcount."""
    conn = getattr(_local, "conn", None)
    if conn is not None:
        return int(_on_recorder(conn, stmt, params).rowcount or 0)
    result = db.session.execute(stmt, params, execution_options={"synchronize_session": False})
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def rows(stmt: Any, params: dict[str, Any]) -> list[Any]:
    """Run one UPDATE … RETURNING on the recorder (or the session) and commit; the first
    column of each row it changed."""
    conn = getattr(_local, "conn", None)
    if conn is not None:
        return list(_on_recorder(conn, stmt, params).scalars())
    options = {"synchronize_session": False}
    result = list(db.session.execute(stmt, params, execution_options=options).scalars())
    db.session.commit()
    return result
