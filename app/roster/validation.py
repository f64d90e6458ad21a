# ruff: noqa: S608  (SQL is built from constants: the staging table name and fixed fragments; values are bound)
"""The roster's row checks, set-based on the staging table: duplicates, people Summit
already knows, another region's people, an email taken, then every row's manager."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from app.roster.managers import resolve_managers
from app.roster.staging import STAGING, analyze


def _mark(conn: Connection, sql: str, **params: Any) -> int:
    return conn.execute(text(sql), params).rowcount


def _index(conn: Connection, column: str) -> bool:
    """Index the staging table's ``column``: unique when no value is in it twice (True;
    NULLs never clash), else a plain index (False), after the unique one failed. The rows
    the checks add later, managers found nowhere, carry an email no row has."""
    savepoint = conn.begin_nested()
    try:
        conn.execute(text(f"CREATE UNIQUE INDEX ix_{STAGING}_{column} ON {STAGING} ({column})"))
    except IntegrityError:
        savepoint.rollback()
        conn.execute(text(f"CREATE INDEX ix_{STAGING}_{column} ON {STAGING} ({column})"))
        return False
    savepoint.commit()
    return True


def validate(conn: Connection, *, region_id: int, present: set[str]) -> None:
    """Mark rows the import must not apply, each with its column and reason (a code of
    :mod:`app.roster.texts`), and resolve every row's manager.

    Each statement writes only the rows it marks (or resolves): a clean file of
    300,000 rows is read a few times and written once (``person_id``).
    """
    s = STAGING
    ok = "error IS NULL"
    # a file without a repeated id (or email) has no duplicate to mark: its unique index
    # says so as it is built, and the grouping of every row is skipped
    for column, reason in (("employee_id", "dup_id"), ("email", "dup_email")):
        if not _index(conn, column):
            _mark(
                conn,
                f"UPDATE {s} SET error = '{reason}|' || CAST(f.first AS VARCHAR(12)), "
                f"error_column = '{column}' "
                f"FROM (SELECT {column} AS repeated, MIN(line) AS first FROM {s} WHERE {ok} "
                f"GROUP BY {column} HAVING COUNT(*) > 1) f "
                f"WHERE {s}.{column} = f.repeated AND {s}.line > f.first AND {s}.{ok}",
            )
    # people Summit already knows, by employee id (in any region)
    if _mark(
        conn,
        f"UPDATE {s} SET person_id = p.id FROM person p WHERE p.employee_id = {s}.employee_id",
    ):
        analyze(conn)  # the joins below depend on how many people are known
    _mark(
        conn,
        f"UPDATE {s} SET error = 'region_mismatch', error_column = 'employee_id' "
        f"FROM person p WHERE p.id = {s}.person_id AND p.region_id <> :region AND {s}.{ok}",
        region=region_id,
    )
    _mark(
        conn,
        f"UPDATE {s} SET error = 'email_taken', error_column = 'email' "
        f"FROM person p WHERE p.email = {s}.email "
        f"AND p.employee_id <> {s}.employee_id AND {s}.{ok}",
    )
    resolve_managers(conn, region_id=region_id, present=present)
