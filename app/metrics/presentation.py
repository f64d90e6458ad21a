"""How each metric is labelled and written: one table, so email, CSV and web agree."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

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

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "enrolled": "Enrolled",
        "funnel.committed": "Committed",
        "funnel.time_approved": "Study time approved",
        "funnel.active": "Started",
        "completed": "Completed",
        "completion_rate": "Completion rate",
        "on_pace_rate": "On pace",
        "active_7d_rate": "Active in the last 7 days",
        "approvals_pending": "Approvals pending",
        "median_hours_to_approval": "Median time to approval",
        "approval_rate": "Approval rate",
        "call_attendance_rate": "Call attendance (last 4 weeks)",
        "free_riders": "Confirmed free riders",
        "free_rider_candidates": "Free-rider candidates awaiting review",
        "goal_attainment_answered": "Goal reached (of those who answered)",
        "goal_attainment_enrolled": "Goal reached (of everyone enrolled)",
        "masterclass_rsvps": "Master-class RSVPs",
        "buddy_signoff_rate": "Buddy sign-off rate",
    },
    "de": {
        "enrolled": "Eingeschrieben",
        "funnel.committed": "Zugesagt",
        "funnel.time_approved": "Lernzeit genehmigt",
        "funnel.active": "Begonnen",
        "completed": "Abgeschlossen",
        "completion_rate": "Abschlussquote",
        "on_pace": "Im Plan",
        "on_pace_rate": "Im Plan",
        "active_7d_rate": "Aktiv in den letzten 7 Tagen",
        "approvals_pending": "Offene Genehmigungen",
        "median_hours_to_approval": "Median bis zur Genehmigung",
        "approval_rate": "Genehmigungsquote",
        "call_attendance_rate": "Teilnahme an Expertencalls (4 Wochen)",
        "free_riders": "Bestätigte Trittbrettfahrer",
        "free_rider_candidates": "Zu prüfende Trittbrettfahrer-Fälle",
        "goal_attainment_answered": "Ziel erreicht (von den Antwortenden)",
        "goal_attainment_enrolled": "Ziel erreicht (von allen Eingeschriebenen)",
        "masterclass_rsvps": "Zusagen zur Masterclass",
        "buddy_signoff_rate": "Buddy-Bestätigungen",
    },
    "fr": {
        "enrolled": "Inscrits",
        "funnel.committed": "Engagés",
        "funnel.time_approved": "Temps d'étude accordé",
        "funnel.active": "Commencé",
        "completed": "Terminé",
        "completion_rate": "Taux d'achèvement",
        "on_pace_rate": "Dans le rythme",
        "active_7d_rate": "Actifs ces 7 derniers jours",
        "approvals_pending": "Validations en attente",
        "median_hours_to_approval": "Délai médian de validation",
        "approval_rate": "Taux de validation",
        "call_attendance_rate": "Participation aux appels (4 semaines)",
        "free_riders": "Passagers clandestins confirmés",
        "free_rider_candidates": "Cas de passagers clandestins à examiner",
        "goal_attainment_answered": "Objectif atteint (parmi les répondants)",
        "goal_attainment_enrolled": "Objectif atteint (parmi les inscrits)",
        "masterclass_rsvps": "Inscriptions à la master class",
        "buddy_signoff_rate": "Validations par le binôme",
    },
}


def language(locale: str | None) -> str:
    lang = (locale or "en").replace("-", "_").split("_")[0]
    return lang if lang in LABELS else "en"


def label(key: str, locale: str | None = "en") -> str:
    return LABELS[language(locale)].get(key) or LABELS["en"][key]


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


def format_value(kind: str, value: Any) -> str:
    if value is None:
        return DASH
    if kind == "rate":
        return f"{percent_points(value)}%"
    if kind == "hours":
        return f"{value:.1f} h"
    return f"{value:,}".replace(",", "\u202f")


def _arrow(delta: float, text: str) -> str:
    """Direction as a shape, not a colour (readable in greyscale, safe in a spreadsheet)."""
    if delta == 0:
        return "±0"
    return f"{'▲' if delta > 0 else '▼'} {text}"


def format_change(kind: str, current: Any, previous: Any) -> str:
    """The change since last week: "▲ 5 pts", "▼ 2", "±0", or "—" when unknown."""
    if current is None or previous is None:
        return DASH
    if kind == "rate":
        delta = percent_points(current) - percent_points(previous)
        return _arrow(delta, f"{abs(delta)} pts")
    if kind == "hours":
        delta_h = round(current - previous, 1)
        return _arrow(delta_h, f"{abs(delta_h):.1f} h")
    delta_n = current - previous
    return _arrow(delta_n, format_value("count", abs(delta_n)))


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
                value=format_value(metric.kind, current),
                detail=detail,
                change=format_change(metric.kind, current, value_of(previous, metric.key)),
            )
        )
    return out


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: Any) -> str:
    """A CSV cell a spreadsheet will not run: formula-like text gets a leading apostrophe."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def to_csv(table: list[list[Any]]) -> str:
    """CSV text (RFC 4180, CRLF) with every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in table:
        writer.writerow([neutralise(cell) for cell in line])
    return buffer.getvalue()
