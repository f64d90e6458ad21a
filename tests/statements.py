"""The SQL statements the app sends while a test's action runs: one counter for every
test that pins a statement count (kept pages, cached figures, the home inbox)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event

from app.auth.access import direct_round_trip
from app.extensions import db


def round_trips_during(run: Callable[[], object]) -> list[tuple[str, ...]]:
    """The round trips to the database while ``run()`` runs, each as the SQL of its
    statements: one per statement through SQLAlchemy, one per pipeline of statements run
    on a pooled driver connection (the sign-in and a read sent with it)."""
    seen: list[tuple[str, ...]] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append((statement,))

    def count_direct(statements: tuple[str, ...]) -> None:
        seen.append(statements)

    event.listen(db.engine, "before_cursor_execute", count)
    direct_round_trip.connect(count_direct)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        direct_round_trip.disconnect(count_direct)
    return seen


def statements_during(run: Callable[[], object]) -> list[str]:
    """The SQL text of each statement sent on the app's engine while ``run()`` runs: through
    SQLAlchemy, and those run on a pooled driver connection (the sign-in's, for one)."""
    return [statement for trip in round_trips_during(run) for statement in trip]
