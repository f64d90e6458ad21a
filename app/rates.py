"""The formula of each rate Summit shows (DESIGN.md, "Metrics"): one definition, used by
the dashboards, the reports and the exports alike (core layer: counts in, a rate out)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, case, cast, null
from sqlalchemy.sql.elements import ColumnElement


def ratio(numerator: int, denominator: int) -> float | None:
    """A rate, or None when there is nothing to divide by (shown as "—")."""
    return None if not denominator else numerator / denominator


def completion_rate(*, completed: int, enrolled: int, withdrawn: int) -> float | None:
    """completed / (enrolled − withdrawn): excused leavers leave the denominator, removed
    free riders stay in it. Every page that shows a completion rate uses this."""
    return ratio(completed, enrolled - withdrawn)


def approval_rate(*, approved: int, requested: int) -> float | None:
    """approved / requested: a request still pending counts against the rate."""
    return ratio(approved, requested)


# --- the same formulas as SQL expressions, for pages that sort and page in the database


def ratio_sql(numerator: Any, denominator: Any) -> ColumnElement[float]:
    """:func:`ratio` as a SQL expression: NULL when there is nothing to divide by. Counts
    are whole numbers, so the float division gives the same value as Python's."""
    return case((denominator != 0, cast(numerator, Float) / denominator), else_=null())


def completion_rate_sql(*, completed: Any, enrolled: Any, withdrawn: Any) -> ColumnElement[float]:
    """:func:`completion_rate` as a SQL expression."""
    return ratio_sql(completed, enrolled - withdrawn)
