"""Small portable SQL pieces the metric queries need (PostgreSQL and SQLite)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.functions import FunctionElement

from app.db import UTCDateTime, constant_rows
from app.extensions import db


class hours_between(FunctionElement[float]):
    """Hours from the first timestamp to the second."""

    type = Float()
    inherit_cache = True
    name = "hours_between"


@compiles(hours_between, "postgresql")
def _hours_pg(element: hours_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (
        f"(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - "
        f"{compiler.process(start, **kw)})) / 3600.0)"
    )


@compiles(hours_between)
def _hours_default(element: hours_between, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (
        f"((julianday({compiler.process(end, **kw)}) - "
        f"julianday({compiler.process(start, **kw)})) * 24.0)"
    )


def cutoff_table(
    cutoffs: dict[int, datetime],
    days: dict[int, date] | None = None,
    *,
    windows: dict[str, timedelta] | None = None,
    name: str = "cutoff",
) -> FromClause:
    """A derived table (region_id, t, day, <window>...) joined by each metric query.

    Each region is counted up to its own instant ``t`` (its week end in its own
    zone); ``day`` is the last local day counted; each window adds ``t ± delta``.
    Rows of constants (``app.db.constant_rows``): a hash join for the planner.
    """
    windows = windows or {}
    columns = [
        ("region_id", Integer()),
        ("t", UTCDateTime()),
        ("day", Date()),
        *((key, UTCDateTime()) for key in windows),
    ]
    rows = [
        (rid, at, (days or {}).get(rid, at.date()), *(at + delta for delta in windows.values()))
        for rid, at in cutoffs.items()
    ]
    return constant_rows(name, columns, rows, dialect=db.session.get_bind().dialect.name)


def key_table(values: dict[int, int], *, name: str) -> FromClause:
    """A derived table (key, value) of integers, e.g. modules required per rollout."""
    return constant_rows(
        name,
        [("key", Integer()), ("value", Integer())],
        list(values.items()) or [(0, 0)],
        dialect=db.session.get_bind().dialect.name,
    )
