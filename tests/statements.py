"""The SQL statements the app sends while a test's action runs: one counter for every
test that pins a statement count (kept pages, cached figures, the home inbox)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event

from app.auth.access import identity_statement_sent
from app.extensions import db


def statements_during(run: Callable[[], object]) -> list[str]:
    """The SQL text of each statement sent on the app's engine while ``run()`` runs: through
    SQLAlchemy, and the sign-in statement, which runs on a pooled driver connection."""
    seen: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    def count_identity(statement: str) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    identity_statement_sent.connect(count_identity)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        identity_statement_sent.disconnect(count_identity)
    return seen
