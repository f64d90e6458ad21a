"""The trend chart of a regional report: an inline PNG readable in Outlook and in greyscale.

Title, labels, week dates and percentages are in the language being rendered (the caller
runs it in ``app.language.force_reader`` for the report's reader); each week is labelled with
its last day ("6 Dec", "6. Dez.", "12月6日"). Fonts: ``app.reports.chart_fonts``."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from matplotlib.figure import Figure

from app.language import _, day_month, local_date, percent
from app.metrics.presentation import percent_points
from app.reports.chart_fonts import font_families
from app.weeks import week_monday

K = TypeVar("K")

#: Okabe–Ito blue and vermillion; the lines also differ by style and marker
REGION_STYLE = {"color": "#0072B2", "linestyle": "-", "marker": "o", "linewidth": 2.2}
ALL_STYLE = {"color": "#D55E00", "linestyle": "--", "marker": "s", "linewidth": 1.8}


#: the percentage axis: fixed ticks, so that their words are written before drawing
AXIS_TICKS = (0, 20, 40, 60, 80, 100)


@dataclass(frozen=True)
class ChartWords:
    """Every text of one chart, already in its reader's language: drawing it needs no
    locale, no app and no database, so a worker thread can draw while the caller queries."""

    title: str
    #: each week by its last day, in order
    weeks: tuple[str, ...]
    #: the words of :data:`AXIS_TICKS`
    axis: tuple[str, ...]
    #: the direct label at the end of each line ("Region 12 %"), None without a point
    region: str | None
    overall: str | None
    fonts: tuple[str, ...]


def chart_words(
    weeks: list[str],
    region: list[float | None],
    overall: list[float | None],
    *,
    region_label: str,
    overall_label: str,
) -> ChartWords:
    """The words of the chart in the language being rendered (call it inside
    ``app.language.force_reader`` for the report's reader)."""

    def direct(series: list[float | None], name: str) -> str | None:
        known = [v for v in series if v is not None]
        return f"{name} {_percent(known[-1])}" if known else None

    return ChartWords(
        title=_("Completion rate by week"),
        weeks=tuple(day_month(week_last_day(w)) for w in weeks),
        axis=tuple(percent(t / 100) for t in AXIS_TICKS),
        region=direct(region, region_label),
        overall=direct(overall, overall_label),
        fonts=font_families(),
    )


def trend_png(
    weeks: list[str],
    region: list[float | None],
    overall: list[float | None],
    *,
    region_label: str,
    overall_label: str,
) -> bytes:
    """Completion rate per week, this region against all regions, lines labelled directly,
    as a PNG, in the language being rendered."""
    words = chart_words(
        weeks, region, overall, region_label=region_label, overall_label=overall_label
    )
    return draw_png(region, overall, words)


def draw_png(region: list[float | None], overall: list[float | None], words: ChartWords) -> bytes:
    """The chart of ``words`` as a PNG. Uses matplotlib's object API on the Agg canvas (no
    pyplot global state) and nothing of the app: safe in a thread of its own."""
    fig = draw_figure(region, overall, words)
    buffer = io.BytesIO()
    if len(words.fonts) > 1:
        fig.savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()
    # no CJK font: logged once, not per missing glyph. (The warning filters are the
    # process's: only this degraded case touches them, never with a CJK font installed.)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
        fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


@contextmanager
def drawn_aside(
    charts: Mapping[K, tuple[list[float | None], list[float | None], ChartWords]],
) -> Iterator[dict[K, Future[bytes]]]:
    """Draw ``charts`` (each key's region line, overall line and words) one after the other
    in a thread of their own while the caller goes on: a chart is ~60 ms of CPU, and the
    caller of the weekly reports spends its time waiting for the database. Each future gives
    the PNG, or raises what drawing it raised. Leaving the block early drops the charts not
    yet started."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-charts")
    try:
        yield {
            key: pool.submit(draw_png, region, overall, words)
            for key, (region, overall, words) in charts.items()
        }
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def trend_figure(
    weeks: list[str],
    region: list[float | None],
    overall: list[float | None],
    *,
    region_label: str,
    overall_label: str,
) -> Figure:
    """The chart of :func:`trend_png`, every text in the reader's language and drawn with
    the fallback fonts of ``app.reports.chart_fonts``."""
    words = chart_words(
        weeks, region, overall, region_label=region_label, overall_label=overall_label
    )
    return draw_figure(region, overall, words)


def draw_figure(
    region: list[float | None], overall: list[float | None], words: ChartWords
) -> Figure:
    """The figure of :func:`draw_png`."""
    fonts = list(words.fonts)
    fig = Figure(figsize=(6.4, 2.8), dpi=100)
    ax = fig.add_subplot()
    x = list(range(len(words.weeks)))
    for series, style, label in (
        (region, REGION_STYLE, words.region),
        (overall, ALL_STYLE, words.overall),
    ):
        points = [(i, v * 100) for i, v in zip(x, series, strict=True) if v is not None]
        if not points or label is None:
            continue
        ax.plot([p[0] for p in points], [p[1] for p in points], **style)
        ax.annotate(
            label,
            points[-1],
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
            color=style["color"],
            fontweight="bold",
            fontfamily=fonts,
        )
    ax.set_xticks(x, list(words.weeks), fontsize=8)
    ax.set_ylim(0, 100)
    ax.set_xlim(-0.3, len(x) - 1 + 2.6)
    ax.set_yticks(AXIS_TICKS, list(words.axis), fontsize=8)
    ax.tick_params(labelfontfamily=fonts)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    # y given: matplotlib does not measure the tick labels to place it (the same place here)
    ax.set_title(words.title, fontsize=10, loc="left", fontfamily=fonts, y=1.0)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.1)  # tight_layout costs 3x
    return fig


def week_last_day(week: str) -> date:
    """The Sunday of an ISO week ("2026-W49" → 6 Dec 2026): every figure is counted to its
    end."""
    return week_monday(week) + timedelta(days=6)


def trend_alt(
    weeks: list[str],
    region: list[float | None],
    overall: list[float | None],
    *,
    region_label: str,
    overall_label: str,
) -> str:
    """The chart in words, for screen readers and blocked images."""

    def describe(series: list[float | None]) -> str:
        known = [(w, v) for w, v in zip(weeks, series, strict=True) if v is not None]
        if not known:
            return _("no data")
        (w0, v0), (w1, v1) = known[0], known[-1]
        return _(
            "%(first)s in the week to %(first_week)s, %(last)s in the week to %(last_week)s",
            first=_percent(v0),
            first_week=local_date(week_last_day(w0)),
            last=_percent(v1),
            last_week=local_date(week_last_day(w1)),
        )

    return _(
        "Completion rate by week: %(region)s %(region_trend)s; %(overall)s %(overall_trend)s.",
        region=region_label,
        region_trend=describe(region),
        overall=overall_label,
        overall_trend=describe(overall),
    )


def _percent(rate: float) -> str:
    """Whole percent rounded half up, as in every other channel (percent_points)."""
    return percent(percent_points(rate) / 100)
