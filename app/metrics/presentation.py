"""How each metric is labelled and written: one table, so email, CSV and web agree."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.language import N_, hours, in_language, ngettext, number, percent, translate

DASH = "—"


@dataclass(frozen=True)
class Metric:
    key: str
    #: "count", "rate" or "hours"
    kind: str
    #: the counts a rate is made of, shown beside it (numerator key, denominator key or None)
    detail: tuple[str, str] | None = None


#: the rows of every report, dashboard and CSV, in order
METRICS: tuple[Metric, ...] = (
    Metric("enrolled", "count"),
    Metric("funnel.committed", "count"),
    Metric("funnel.time_approved", "count"),
    Metric("funnel.active", "count"),
    Metric("completed", "count"),
    Metric("completion_rate", "rate", ("completed", "enrolled-withdrawn")),
    Metric("on_pace_rate", "rate", ("on_pace", "in_program")),
    Metric("active_7d_rate", "rate", ("active_7d", "in_program")),
    Metric("approvals_pending", "count"),
    Metric("median_hours_to_approval", "hours"),
    Metric("approval_rate", "rate", ("approvals_approved", "approvals_requested")),
    Metric("call_attendance_rate", "rate", ("call_attendees_28d", "in_program")),
    Metric("free_riders", "count"),
    Metric("free_rider_candidates", "count"),
    Metric("goal_attainment_answered", "rate", ("goal_reached", "goal_answered")),
    Metric("goal_attainment_enrolled", "rate", ("goal_reached", "enrolled")),
    Metric("masterclass_rsvps", "count"),
    Metric("buddy_signoff_rate", "rate", ("buddy_signed", "buddy_reviews")),
)

#: the practices shown next to completion in the global league table
PRACTICES = ("approval_rate", "call_attendance_rate", "buddy_signoff_rate")

#: each metric's label: a catalog message, translated where it is shown
LABELS: dict[str, str] = {
    "enrolled": N_("Enrolled"),
    "funnel.committed": N_("Committed"),
    "funnel.time_approved": N_("Study time approved"),
    "funnel.active": N_("Started"),
    "completed": N_("Completed"),
    "completion_rate": N_("Completion rate"),
    "on_pace_rate": N_("On pace"),
    "active_7d_rate": N_("Active in the last 7 days"),
    "approvals_pending": N_("Approvals pending"),
    "median_hours_to_approval": N_("Median time to approval"),
    "approval_rate": N_("Approval rate"),
    "call_attendance_rate": N_("Call attendance (last 4 weeks)"),
    "free_riders": N_("Confirmed free riders"),
    "free_rider_candidates": N_("Free-rider candidates awaiting review"),
    "goal_attainment_answered": N_("Goal reached (of those who answered)"),
    "goal_attainment_enrolled": N_("Goal reached (of everyone enrolled)"),
    "masterclass_rsvps": N_("Master-class RSVPs"),
    "buddy_signoff_rate": N_("Buddy sign-off rate"),
}


def label(key: str, locale: str | None = None) -> str:
    """A metric's label for ``locale`` (the reader being rendered for when None)."""
    return translate(LABELS[key], locale)


def value_of(figures: dict[str, Any] | None, key: str) -> Any:
    if figures is None:
        return None
    if key.startswith("funnel."):
        return figures.get("funnel", {}).get(key.split(".", 1)[1])
    if key == "enrolled-withdrawn":
        return figures["enrolled"] - figures["withdrawn"]
    return figures.get(key)


def percent_points(rate: float) -> int:
    """A rate as whole percent, half up (0.125 → 13), the same in every channel."""
    return int((Decimal(str(rate)) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def format_value(kind: str, value: Any, locale: str | None = None) -> str:
    """A figure for ``locale`` (the reader being rendered for when None): 87 %, 48 Std."""
    if value is None:
        return DASH
    with in_language(locale):
        if kind == "rate":
            return percent(percent_points(value) / 100)
        if kind == "hours":
            return hours(round(value, 1))
        return number(value)


def _arrow(delta: float, text: str) -> str:
    """Direction as a shape, not a colour (readable in greyscale, safe in a spreadsheet)."""
    if delta == 0:
        return "±0"
    return f"{'▲' if delta > 0 else '▼'} {text}"


def format_change(kind: str, current: Any, previous: Any, locale: str | None = None) -> str:
    """The change since last week: "▲ 5 pts", "▼ 2", "±0", or "—" when unknown."""
    if current is None or previous is None:
        return DASH
    with in_language(locale):
        if kind == "rate":
            delta = percent_points(current) - percent_points(previous)
            points = ngettext("%(num)s pt", "%(num)s pts", abs(delta), num=number(abs(delta)))
            return _arrow(delta, points)
        if kind == "hours":
            delta_h = round(current - previous, 1)
            return _arrow(delta_h, hours(abs(delta_h)))
        delta_n = current - previous
        return _arrow(delta_n, number(abs(delta_n)))


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    value: str
    detail: str
    change: str


def rows(
    figures: dict[str, Any], previous: dict[str, Any] | None = None, locale: str | None = "en"
) -> list[Row]:
    """The report's table: label, value, its counts, and the change since ``previous``."""
    out = []
    for metric in METRICS:
        current = value_of(figures, metric.key)
        detail = ""
        if metric.detail is not None:
            num, den = (value_of(figures, k) for k in metric.detail)
            detail = f"{num} / {den}"
        out.append(
            Row(
                key=metric.key,
                label=label(metric.key, locale),
                value=format_value(metric.kind, current, locale),
                detail=detail,
                change=format_change(metric.kind, current, value_of(previous, metric.key), locale),
            )
        )
    return out


def plain_value(kind: str, value: Any) -> Any:
    """A figure as a machine number (CSV): a rate as a fraction to four places (0.1833),
    hours to one decimal, a count as it is; None when unknown."""
    if value is None:
        return None
    if kind == "rate":
        return round(value, 4)
    if kind == "hours":
        return round(value, 1)
    return value


def plain_change(kind: str, current: Any, previous: Any) -> Any:
    """The change since last week as a signed machine number (-14, -0.05), None if unknown."""
    if current is None or previous is None:
        return None
    return plain_value(kind, current - previous)
