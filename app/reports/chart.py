"""The trend chart of a regional report: an inline PNG readable in Outlook and in greyscale.

Title, labels, week dates and percentages are in the language being rendered (the caller
runs it in ``app.language.force_reader`` for the report's reader); each week is labelled with
its last day ("6 Dec", "6. Dez.", "12月6日"). Fonts: ``app.reports.chart_fonts``."""

from __future__ import annotations

import io
import warnings
from datetime import date, timedelta

from matplotlib.figure import Figure

from app.language import _, day_month, local_date, percent
from app.metrics.presentation import percent_points
from app.reports.chart_fonts import font_families
from app.weeks import week_monday

#: Okabe–Ito blue and vermillion; the lines also differ by style and marker
REGION_STYLE = {"color": "#0072B2", "linestyle": "-", "marker": "o", "linewidth": 2.2}
ALL_STYLE = {"color": "#D55E00", "linestyle": "--", "marker": "s", "linewidth": 1.8}


def trend_png(
    weeks: list[str],
    region: list[float | None],
    overall: list[float | None],
    *,
    region_label: str,
    overall_label: str,
) -> bytes:
    """Completion rate per week, this region against all regions, lines labelled directly,
    as a PNG. Uses matplotlib's object API on the Agg canvas (no pyplot global state, so it
    is safe in threads and workers)."""
    fig = trend_figure(
        weeks, region, overall, region_label=region_label, overall_label=overall_label
    )
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        if len(font_families()) == 1:  # no CJK font: logged once, not per missing glyph
            warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
        fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


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
    fonts = list(font_families())
    fig = Figure(figsize=(6.4, 2.8), dpi=100)
    ax = fig.add_subplot()
    x = list(range(len(weeks)))
    for series, style, name in (
        (region, REGION_STYLE, region_label),
        (overall, ALL_STYLE, overall_label),
    ):
        points = [(i, v * 100) for i, v in zip(x, series, strict=True) if v is not None]
        if not points:
            continue
        ax.plot([p[0] for p in points], [p[1] for p in points], **style)
        last_x, last_y = points[-1]
        ax.annotate(
            f"{name} {_percent(last_y / 100)}",
            (last_x, last_y),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
            color=style["color"],
            fontweight="bold",
            fontfamily=fonts,
        )
    ax.set_xticks(x, [day_month(week_last_day(w)) for w in weeks], fontsize=8)
    ax.set_ylim(0, 100)
    ax.set_xlim(-0.3, len(weeks) - 1 + 2.6)
    ax.yaxis.set_major_formatter(lambda v, _pos: percent(round(v) / 100))
    ax.tick_params(axis="y", labelsize=8)
    ax.tick_params(labelfontfamily=fonts)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(_("Completion rate by week"), fontsize=10, loc="left", fontfamily=fonts)
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
