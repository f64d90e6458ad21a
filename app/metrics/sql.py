"""Small portable SQL pieces the metric queries need (PostgreSQL and SQLite)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Float, Integer, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Subquery
from sqlalchemy.sql.functions import FunctionElement

from app.db import UTCDateTime


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
) -> Subquery:
    """A derived table (region_id, t, day, <window>...) joined by each metric query.

    Each region is counted up to its own instant ``t`` (its week end in its own
    zone); ``day`` is the last local day counted; each window adds ``t ± delta``.
    A UNION ALL of literal rows: portable, and a hash join of 50 rows for the planner.
    """
    windows = windows or {}
    rows = []
    for rid, at in cutoffs.items():
        columns = [
            literal(rid, Integer()).label("region_id"),
            literal(at, UTCDateTime()).label("t"),
            literal((days or {}).get(rid, at.date()), Date()).label("day"),
            *(literal(at + delta, UTCDateTime()).label(key) for key, delta in windows.items()),
        ]
        rows.append(select(*columns))
    if len(rows) == 1:
        return rows[0].subquery(name)
    return union_all(*rows).subquery(name)


def key_table(values: dict[int, int], *, name: str) -> Subquery:
    """A derived table (key, value) of integers, e.g. modules required per rollout."""
    rows = [
        select(literal(k, Integer()).label("key"), literal(v, Integer()).label("value"))
        for k, v in values.items()
    ] or [select(literal(0, Integer()).label("key"), literal(0, Integer()).label("value"))]
    if len(rows) == 1:
        return rows[0].subquery(name)
    return union_all(*rows).subquery(name)
