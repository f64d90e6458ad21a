"""Small portable SQL pieces the metric queries need (PostgreSQL and SQLite)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, case, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
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


def per_region_instant(region_col: Any, values: dict[int, datetime]) -> ColumnElement[Any]:
    """A CASE giving each region its own instant (every region has its own week end)."""
    whens = [(region_col == rid, literal(at, UTCDateTime())) for rid, at in values.items()]
    return case(*whens, else_=literal(None, UTCDateTime()))


def per_region_date(region_col: Any, values: dict[int, date]) -> ColumnElement[Any]:
    whens = [(region_col == rid, literal(day, Date())) for rid, day in values.items()]
    return case(*whens, else_=literal(None, Date()))


def per_key_int(key_col: Any, values: dict[int, int]) -> ColumnElement[Any]:
    whens = [(key_col == key, literal(n)) for key, n in values.items()]
    return case(*whens, else_=literal(0)) if whens else literal(0)
