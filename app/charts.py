"""Dashboard charts as server-rendered inline SVG, readable without colour: every bar and point
carries its own label, bars are hatched, points are marked, and each chart has a table twin.

Only geometry lives here (core layer); the numbers come from ``app.metrics`` and
``app.rollouts.queries``, the markup from ``templates/web/_charts.html``, which writes every
word, date and percentage in the reader's locale (``app.language`` filters).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.language import N_, gettext
from app.weeks import week_monday

WIDTH = 640
LABEL_WIDTH = 150
BAR_HEIGHT = 26
BAR_GAP = 10
PLOT_HEIGHT = 160
TOP = 24
BOTTOM = 40
LEFT = 48
RIGHT = 24


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    share: float | None
    y: int
    width: float


@dataclass(frozen=True)
class Point:
    #: the ISO week ("2026-W49")
    label: str
    #: its last day, the one its figure is counted to (shown as a date in the reader's locale)
    day: date
    value: float | None
    x: float
    y: float | None


@dataclass(frozen=True)
class Funnel:
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_height: int


@dataclass(frozen=True)
class Trend:
    points: list[Point]
    width: int
    height: int
    top: int
    bottom: float
    left: int
    right: int
    #: (y position, share) of the horizontal grid lines at 0, 50 and 100 %
    grid: list[tuple[float, float]]
    #: the SVG path through the known points (a gap where a week has no figure)
    path: str


def funnel(stages: Sequence[tuple[str, int]]) -> Funnel:
    """Horizontal bars, one per stage, scaled to the first (everyone invited)."""
    top = stages[0][1] if stages else 0
    span = WIDTH - LABEL_WIDTH - 120
    bars = [
        Bar(
            label=label,
            value=n,
            share=(n / top) if top else None,
            y=i * (BAR_HEIGHT + BAR_GAP),
            width=max(span * n / top, 2) if top else 2,
        )
        for i, (label, n) in enumerate(stages)
    ]
    return Funnel(
        bars=bars,
        width=WIDTH,
        height=max(len(bars) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT),
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
    )


def trend(weeks: Sequence[tuple[str, float | None]]) -> Trend:
    """A line of rates (0..1) over weeks, with a marker and a label on every point."""
    bottom = TOP + PLOT_HEIGHT
    step = (WIDTH - LEFT - RIGHT) / max(len(weeks) - 1, 1)
    points = [
        Point(
            label=week,
            day=week_monday(week) + timedelta(days=6),
            value=rate,
            x=round(LEFT + i * step, 1),
            y=None if rate is None else round(bottom - rate * PLOT_HEIGHT, 1),
        )
        for i, (week, rate) in enumerate(weeks)
    ]
    path, pen_down = [], False
    for p in points:
        if p.y is None:
            pen_down = False
            continue
        path.append(f"{'L' if pen_down else 'M'}{p.x},{p.y}")
        pen_down = True
    return Trend(
        points=points,
        width=WIDTH,
        height=bottom + BOTTOM,
        top=TOP,
        bottom=bottom,
        left=LEFT,
        right=WIDTH - RIGHT,
        grid=[(bottom - f * PLOT_HEIGHT, f) for f in (0, 0.5, 1)],
        path=" ".join(path),
    )


#: the stages of the funnel (``EnrollmentState`` values) as the reader calls them
STAGE_LABELS: dict[str, str] = {
    "invited": N_("Invited"),
    "committed": N_("Committed"),
    "time_approved": N_("Time approved"),
    "active": N_("Active"),
    "completed": N_("Completed"),
    "removed": N_("Removed"),
    "withdrawn": N_("Withdrawn"),
}


def stage_label(stage: Any) -> str:
    """A funnel stage in the language being rendered."""
    key = str(getattr(stage, "value", stage))
    if key in STAGE_LABELS:
        return gettext(STAGE_LABELS[key])
    return key.replace("_", " ").capitalize()
