# ruff: noqa: S608  (SQL is built from constants: the staging table name and fixed fragments; values are bound)
"""The roster's staging table: created per import (a temporary table), filled by COPY on
PostgreSQL or batched inserts elsewhere, and read back for the issues."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from app.roster.records import STAGING_COLUMNS

#: the temporary table one import reads its file into
STAGING = "roster_staging"
BATCH = 5000


def create_staging(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        # temporary tables live in per-session buffers (8 MB by default): a 300,000-row
        # staging table thrashes them. Only settable before a session's first temp table.
        # A maximum, taken as the table grows: the staging table and its indexes are
        # 106 MB at 325,000 rows, about 350 MB at a million, and the checks read it some
        # twenty times (256 MB did not hold it).
        savepoint = conn.begin_nested()
        try:
            conn.execute(text("SET temp_buffers = '1GB'"))
            savepoint.commit()
        except DBAPIError:
            savepoint.rollback()
        # the checks group, hash and sort the whole file (the duplicate ids, the people in
        # id order): at PostgreSQL's default 4 MB each of them spilled to disk (33 MB for
        # the people of 300,000 rows). For this transaction only, as the progress import.
        conn.execute(text("SET LOCAL work_mem = '128MB'"))
    conn.execute(text(f"DROP TABLE IF EXISTS {STAGING}"))
    # PostgreSQL: room on each page so the few updates stay HOT (no index writes)
    suffix = " WITH (fillfactor = 60) ON COMMIT DROP" if conn.dialect.name == "postgresql" else ""
    conn.execute(
        text(
            f"CREATE TEMP TABLE {STAGING} ("
            "line INTEGER NOT NULL, employee_id VARCHAR(64), email VARCHAR(320), "
            "name VARCHAR(200), name_key VARCHAR(200), name_alt VARCHAR(200), "
            "manager_ref VARCHAR(320), "
            "manager_email VARCHAR(320), manager_name VARCHAR(200), "
            "manager_name_key VARCHAR(200), locale VARCHAR(16), "
            "time_zone VARCHAR(64), buddy VARCHAR(320), learner BOOLEAN NOT NULL, "
            "error VARCHAR(300), error_column VARCHAR(80), new_id INTEGER, "
            "note VARCHAR(300), note_column VARCHAR(80), "
            f"manager_emp VARCHAR(64), person_id INTEGER, changed BOOLEAN){suffix}"
        )
    )


def load_staging(conn: Connection, rows: Iterable[tuple[Any, ...]], *, id_base: int) -> int:
    """Write rows to the staging table: COPY on PostgreSQL, batched inserts elsewhere.

    Each row gets ``new_id`` = ``id_base + line``: the id it takes if it is a new person,
    so people and their managers are inserted in one statement.
    """
    n = 0
    cols = ", ".join((*STAGING_COLUMNS, "new_id"))
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {STAGING} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row, id_base + row[0]))
                n += 1
        conn.execute(text(f"ANALYZE {STAGING}"))
        return n
    marks = ", ".join("?" for _ in range(len(STAGING_COLUMNS) + 1))
    cursor = conn.connection.driver_connection.cursor()
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append((*row, id_base + row[0]))
        if len(batch) >= BATCH:
            cursor.executemany(f"INSERT INTO {STAGING} ({cols}) VALUES ({marks})", batch)
            n += len(batch)
            batch = []
    if batch:
        cursor.executemany(f"INSERT INTO {STAGING} ({cols}) VALUES ({marks})", batch)
        n += len(batch)
    return n


#: rows written by one set-based step past which the next step needs fresh statistics
ANALYZE_AFTER = 10_000


def analyze(conn: Connection) -> None:
    """Fresh planner statistics for the staging table (PostgreSQL plans joins with them)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {STAGING}"))


def staged_issues(conn: Connection) -> Iterator[tuple[int, str, str, bool]]:
    """The rows not applied, and the notes on rows applied: (line, column field, reason
    code, refused), in file order."""
    for line, column, code, refused in conn.execute(
        text(
            f"SELECT line, COALESCE(error_column, note_column), COALESCE(error, note), "
            f"error IS NOT NULL FROM {STAGING} WHERE line > 0 "
            f"AND (error IS NOT NULL OR note IS NOT NULL) ORDER BY line"
        )
    ):
        yield line, column or "", code, bool(refused)
