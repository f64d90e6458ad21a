"""The outbox's recording connection: each delivery outcome committed at once, on its own.

:func:`recorder` opens one autocommit connection for a delivery batch; :func:`write`,
:func:`execute` and :func:`rows` run an outcome's conditional UPDATE on it (or on the
session outside a batch), :func:`rows_soon` runs one on the recorder's helper thread while
the caller talks to the mail server. A connection the server cuts is replaced and the
UPDATE run once more: every UPDATE is conditional on the lease owner, so a repeat changes
nothing.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from app.extensions import db

log = logging.getLogger(__name__)

_local = threading.local()


class Prepared:
    """One UPDATE … RETURNING of the hot path, compiled once: on PostgreSQL the recorder
    runs it on the driver's own connection as a server-side prepared statement (parsed and
    planned once per connection; no SQLAlchemy compile-cache lookup, execution context or
    result object per message: 0.08 ms of CPU a message instead of 0.21). Elsewhere it is
    the SQLAlchemy statement as it is."""

    def __init__(self, stmt: Any) -> None:
        self.stmt = stmt
        self._compiled: tuple[str, list[tuple[str, Any]], dict[str, Any]] | None = None

    def positional(self, dialect: Dialect) -> tuple[str, list[tuple[str, Any]], dict[str, Any]]:
        """The SQL with ``%s`` placeholders, each placeholder's (name, bind processor) in
        order, and the values the statement itself fixes (constants)."""
        if self._compiled is None:
            compiled = self.stmt.compile(dialect=dialect)
            names: list[str] = []

            def placeholder(match: re.Match[str]) -> str:
                names.append(match.group(1))
                return "%s"

            sql = re.sub(r"%\((\w+)\)s", placeholder, compiled.string)
            order = [(n, compiled.binds[n].type.bind_processor(dialect)) for n in names]
            fixed = {
                name: value.value if isinstance(value, enum.Enum) else value
                for name, value in compiled.params.items()
                if value is not None
            }
            self._compiled = (sql, order, fixed)
        return self._compiled


class _Recorder:
    """The connection of one delivery job, and the one statement under way on its helper
    thread (every other use of the connection waits for that one first)."""

    def __init__(self) -> None:
        #: the engine itself, not ``db.engine``: the helper thread has no app context
        self.engine = db.engine
        self.conn = _open_recorder(self.engine)
        self.pending: Future[Any] | None = None
        self._helper: ThreadPoolExecutor | None = None

    def settle(self) -> None:
        """Wait for the statement under way (its owner reads its result or error)."""
        if self.pending is not None:
            wait([self.pending])
            self.pending = None

    def run(self, stmt: Any, params: dict[str, Any] | None = None) -> Any:
        self.settle()
        return self._run(stmt, params)

    def soon(self, stmt: Any, params: dict[str, Any]) -> Future[list[Any]]:
        self.settle()
        if self._helper is None:
            self._helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail-recorder")
        self.pending = self._helper.submit(self.column, stmt, params)
        return self.pending

    def column(self, stmt: Any, params: dict[str, Any]) -> list[Any]:
        """The first column of every row the statement returns."""
        if isinstance(stmt, Prepared):
            if self.conn.dialect.name == "postgresql":
                return self._prepared(stmt, params)
            stmt = stmt.stmt
        return list(self._run(stmt, params).scalars())

    def _prepared(self, stmt: Prepared, params: dict[str, Any]) -> list[Any]:
        sql, order, fixed = stmt.positional(self.conn.dialect)
        values = {**fixed, **params}
        args = [
            values[name] if process is None else process(values[name]) for name, process in order
        ]
        raw = self.conn.connection.driver_connection
        try:
            return [row[0] for row in raw.execute(sql, args, prepare=True).fetchall()]
        except Exception:
            if not getattr(raw, "broken", False):
                raise
        # the server cut the connection: once more through SQLAlchemy, which sees the cut,
        # invalidates the pool's other connections to that server and records on a new one
        return list(self._run(stmt.stmt, params).scalars())

    def _run(self, stmt: Any, params: dict[str, Any] | None) -> Any:
        """Run one UPDATE; its result. When the server cut the connection (a restart, a
        failover, pg_terminate_backend), run it once more on a new one: an acceptance not
        recorded would be sent again. Every UPDATE here is conditional on the lease
        owner, so one that had committed before the cut changes nothing the second time."""
        try:
            return self.conn.execute(stmt, params)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            log.warning("the recording connection was cut (%s): recording on a new one", error.orig)
            self.conn.close()
            self.conn = _open_recorder(self.engine)
            return self.conn.execute(stmt, params)

    def close(self) -> None:
        self.settle()
        if self._helper is not None:
            self._helper.shutdown(wait=True)
        conn = self.conn
        try:
            if not conn.invalidated:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("RESET synchronous_commit"))
                elif conn.dialect.name == "sqlite":
                    conn.execute(text("PRAGMA synchronous = FULL"))
        finally:
            conn.close()


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
    (see :meth:`_Recorder._run`).
    """
    _local.rec = rec = _Recorder()
    try:
        yield rec.conn
    finally:
        _local.rec = None
        rec.close()


def _open_recorder(engine: Engine) -> Connection:
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET synchronous_commit TO OFF"))
    elif conn.dialect.name == "sqlite":
        conn.execute(text("PRAGMA synchronous = NORMAL"))
    return conn


def _current() -> _Recorder | None:
    return getattr(_local, "rec", None)


def write(stmt: Any) -> None:
    rec = _current()
    if rec is not None:
        rec.run(stmt)
        return
    db.session.execute(stmt.execution_options(synchronize_session=False))
    db.session.commit()


def execute(stmt: Any, params: dict[str, Any]) -> int:
    """Run one prepared UPDATE on the recorder (or the session) and commit; its rowcount."""
    rec = _current()
    if rec is not None:
        return int(rec.run(stmt, params).rowcount or 0)
    result = db.session.execute(stmt, params, execution_options={"synchronize_session": False})
    db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def rows(stmt: Any, params: dict[str, Any]) -> list[Any]:
    """Run one UPDATE … RETURNING on the recorder (or the session) and commit; the first
    column of each row it changed."""
    rec = _current()
    if rec is not None:
        rec.settle()
        return rec.column(stmt, params)
    if isinstance(stmt, Prepared):
        stmt = stmt.stmt
    options = {"synchronize_session": False}
    result = list(db.session.execute(stmt, params, execution_options=options).scalars())
    db.session.commit()
    return result


def rows_soon(stmt: Any, params: dict[str, Any]) -> Callable[[], list[Any]]:
    """:func:`rows`, started now and read later: on PostgreSQL the statement runs on the
    recorder's helper thread (the round trip overlaps the caller's own waits: the SMTP
    envelope); the returned function waits for its rows (or raises its error). Elsewhere
    (SQLite: no round trip to hide; no recorder) it runs at once."""
    rec = _current()
    if rec is None or rec.conn.dialect.name != "postgresql":
        result = rows(stmt, params)
        return lambda: result
    future = rec.soon(stmt, params)
    return future.result
