"""The formula of each rate Summit shows (DESIGN.md, "Metrics"): one definition, used by
the dashboards, the reports and the exports alike (core layer: counts in, a rate out)."""

from __future__ import annotations


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
