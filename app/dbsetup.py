"""Per-connection database settings and the list of every model (for Alembic)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine


def import_models() -> None:
    """Import every capability's models so the metadata is complete."""
    from app import readcache as _readcache  # noqa: F401
    from app.approvals import models as _approvals  # noqa: F401
    from app.audit import models as _audit  # noqa: F401
    from app.auth import models as _auth  # noqa: F401
    from app.calls import models as _calls  # noqa: F401
    from app.mail import models as _mail  # noqa: F401
    from app.masterclasses import models as _masterclasses  # noqa: F401
    from app.ops import models as _ops  # noqa: F401
    from app.people import models as _people  # noqa: F401
    from app.programs import models as _programs  # noqa: F401
    from app.progress import models as _progress  # noqa: F401
    from app.regions import models as _regions  # noqa: F401
    from app.reports import models as _reports  # noqa: F401
    from app.rollouts import models as _rollouts  # noqa: F401
    from app.terms import models as _terms  # noqa: F401


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the web process read while a worker process writes
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def init_app(app: Flask) -> None:
    import_models()
    # the engine is created lazily by Flask-SQLAlchemy; hook every SQLite engine once
    if not event.contains(Engine, "connect", _sqlite_pragmas_if_sqlite):
        event.listen(Engine, "connect", _sqlite_pragmas_if_sqlite)


def _sqlite_pragmas_if_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        _sqlite_pragmas(dbapi_connection, connection_record)
