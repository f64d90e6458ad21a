"""Per-connection database settings (the list of every model is :mod:`app.models`)."""

from __future__ import annotations

import time
import weakref
from typing import Any

from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

from app.extensions import db

#: seconds a pooled server connection may sit unused before it is pinged on checkout
PING_IDLE_AFTER = 10.0
_RETURNED_AT = "summit_returned_at"
_pinged_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
_timed_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
#: this process's PostgreSQL ``application_name`` (summit-web, summit-worker,
#: summit-scheduler, summit-cli): pg_stat_activity tells the processes apart, and an
#: operator can end one kind's connections; an application_name in DATABASE_URL wins
_process_name = ["summit-web"]


def name_process(name: str) -> None:
    """Name the database connections this process opens from now on."""
    _process_name[0] = name


def _name_connection(dialect: Any, conn_rec: Any, cargs: Any, cparams: dict[str, Any]) -> None:
    cparams.setdefault("application_name", _process_name[0])


def _connection_settings(web_seconds: int, jobs_seconds: int) -> Any:
    """A ``do_connect`` listener: each new PostgreSQL connection gets the
    ``statement_timeout`` of this process's kind (the web's, or the jobs' for workers,
    the scheduler and the CLI), unless DATABASE_URL's ``options`` set one; and the web's
    connections ``jit = off``, unless the options set it.

    JIT compiles a query whose estimated cost passes ``jit_above_cost`` (100,000): at a
    million learners the estimate of a filtered xAPI page (its parts that a one-time filter
    skips included) passed it, and compiling took 40 ms of a page that runs in under one.
    A web request's queries are short by design; the jobs' long aggregates keep it."""

    def set_options(dialect: Any, conn_rec: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        given = cparams.get("options") or ""
        options = [given] if given else []
        web = _process_name[0] == "summit-web"
        if "statement_timeout" not in given:
            seconds = web_seconds if web else jobs_seconds
            options.append(f"-c statement_timeout={seconds * 1000}")
        if web and "jit" not in given:
            options.append("-c jit=off")
        cparams["options"] = " ".join(options)

    return set_options


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the web process read while a worker process writes
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def init_app(app: Flask) -> None:
    with app.app_context():  # the engine object only: nothing connects here
        ping_when_idle(db.engine)
        engine = db.engine
        if engine.dialect.name == "postgresql" and not event.contains(
            engine, "do_connect", _name_connection
        ):
            event.listen(engine, "do_connect", _name_connection)
        if engine.dialect.name == "postgresql" and engine not in _timed_engines:
            _timed_engines.add(engine)
            settings = app.extensions["summit.settings"]
            event.listen(
                engine,
                "do_connect",
                _connection_settings(
                    settings.database_statement_timeout_web,
                    settings.database_statement_timeout_jobs,
                ),
            )
    # the engine is created lazily by Flask-SQLAlchemy; hook every SQLite engine once
    if not event.contains(Engine, "connect", _sqlite_pragmas_if_sqlite):
        event.listen(Engine, "connect", _sqlite_pragmas_if_sqlite)


def _sqlite_pragmas_if_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        _sqlite_pragmas(dbapi_connection, connection_record)


def ping_when_idle(engine: Engine, *, idle_after: float = PING_IDLE_AFTER) -> None:
    """Pessimistic disconnect handling for connections that sat unused in the pool.

    ``pool_pre_ping`` pings on every checkout: one more round trip on every request of a
    busy server, whose connections were in use a moment ago. A connection that has waited
    longer than ``idle_after`` seconds (a server restart, a failover, an idle timeout may
    have closed it) is pinged; one that fails is replaced before the request sees it.
    """
    if engine.dialect.name == "sqlite" or engine in _pinged_engines:
        return
    _pinged_engines.add(engine)
    dialect = engine.dialect

    def ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is None or time.monotonic() - returned < idle_after:
            return  # new, or back in the pool a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # the pool drops this connection and checks out another (three tries)
            raise exc.DisconnectionError(f"pooled connection is gone: {error}") from error

    event.listen(engine, "checkin", _note_returned)
    event.listen(engine, "checkout", ping_if_idle)


def _note_returned(dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info[_RETURNED_AT] = time.monotonic()
