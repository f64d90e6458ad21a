"""Rows of constants joined by the metric queries (each region's cutoff): one definition,
the same rows on PostgreSQL (a VALUES list) and SQLite (a UNION ALL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Integer, select

from app.db import UTCDateTime, constant_rows
from app.extensions import db

COLUMNS = [("region_id", Integer()), ("t", UTCDateTime())]
AT = datetime(2026, 11, 29, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    "rows",
    [
        [(1, AT)],
        [(1, AT), (2, None), (3, AT)],
        [(1, None), (2, None)],  # a column of NULLs alone is still a timestamp column
    ],
)
def test_the_rows_read_back_and_compare_as_their_types(rows) -> None:
    table = constant_rows("cutoff", COLUMNS, rows, dialect=db.session.get_bind().dialect.name)
    got = db.session.execute(select(table.c.region_id, table.c.t).order_by(table.c.region_id))
    assert [(rid, t) for rid, t in got] == rows
    until = db.session.execute(select(table.c.region_id).where(table.c.t <= AT)).scalars()
    assert sorted(until) == [rid for rid, t in rows if t is not None]
