"""What a report says: its template context, its CSV, its rendering (no I/O, no state)."""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import mean
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from app.language import _, force_reader, in_language
from app.mail.rendering import environments
from app.metrics.presentation import (
    DASH,
    METRICS,
    PRACTICES,
    format_change,
    format_value,
    label,
    plain_change,
    plain_value,
    rows,
    value_of,
)
from app.progress.queries import as_of_text as progress_as_of_text
from app.reports import summary
from app.tabular import write_csv
from app.weeks import week_monday

CHART_CID = "trend-chart@summit"
#: the change of a figure that did not move (app.metrics.presentation): folded in the report
UNCHANGED = "±0"


def render_content(
    kind: str, locale: str | None, context: dict[str, Any], time_zone: str | None = None
) -> tuple[str, str]:
    """The report itself (HTML, text) from ``email_templates/<kind>/content.*``, in the
    reader's language (the email environments: catalogs and the one set of filters)."""
    html_env, text_env = environments()
    with force_reader(locale, time_zone):
        html = html_env.get_template(f"{kind}/content.html").render(context)
        text = text_env.get_template(f"{kind}/content.txt").render(context)
    return html, text


def week_span(week: str, locale: str) -> str:
    monday = week_monday(week)
    start = format_date(monday, "d MMM", locale=locale)
    end = format_date(monday + timedelta(days=6), "d MMM y", locale=locale)
    return f"{start} – {end}"


def as_of_text(value: datetime, *, zone: str, locale: str) -> str:

    return progress_as_of_text(value, zone=zone, locale=locale)


def regional_context(
    *,
    week: str,
    region: Any,
    figures: dict[str, Any],
    previous: dict[str, Any] | None,
    upcoming: dict[str, list[dict[str, Any]]],
    chart_alt: str,
    web_url: str,
    progress: list[dict[str, Any]] | None = None,
    rank: int | None = None,
    region_count: int = 1,
    since: datetime | None = None,
) -> dict[str, Any]:
    """The template context of a regional report. Names of free riders only under ``named``.
    ``progress``: per launched rollout, how old its progress data is (program, as_of, source).
    ``rank`` of ``region_count`` by completion; ``since``: the send time, before which no
    call or master class is "coming up"."""
    locale = region.locale
    zone = ZoneInfo(region.time_zone)
    named = figures["region"]["policy"] == "named"
    table = rows(figures, previous, locale)
    upcoming = future_only(upcoming, since)
    return {
        "headline": summary.headline(figures, previous, rank=rank, of=region_count),
        "status": summary.status_of(figures, previous),
        "ask": summary.ask_of(figures),
        "programs": program_rows(figures),
        "changed_rows": [r for r in table if not _unchanged(r)],
        "unchanged_rows": [r for r in table if _unchanged(r)],
        "locale": locale,
        "region_name": region.name,
        "week": week,
        "week_span": week_span(week, locale),
        "rows": table,
        "has_previous": previous is not None,
        "named": named,
        "free_riders": figures["free_riders"],
        "free_rider_candidates": figures["free_rider_candidates"],
        "free_rider_names": figures.get("free_rider_names", []) if named else [],
        "calls": [
            format_datetime(
                datetime.fromisoformat(c["starts_at"]),
                "EEEE d MMM, HH:mm",
                tzinfo=zone,
                locale=locale,
            )
            for c in upcoming.get("calls", [])
        ],
        "master_classes": [
            {
                "title": m["title"],
                "when": format_datetime(
                    datetime.fromisoformat(m["starts_at"]),
                    "EEEE d MMM, HH:mm",
                    tzinfo=zone,
                    locale=locale,
                ),
                "accepted": m["accepted"],
                "capacity": m["capacity"],
            }
            for m in upcoming.get("master_classes", [])
        ],
        "chart_cid": CHART_CID,
        "chart_alt": chart_alt,
        "web_url": web_url,
        "progress": [
            {
                "program": p["program"],
                "source": p["source"],
                "as_of": (
                    as_of_text(p["as_of"], zone=region.time_zone, locale=locale)
                    if p["as_of"] is not None
                    else None
                ),
            }
            for p in progress or []
        ],
    }


def _unchanged(row: Any) -> bool:
    """A figure that did not move, or has no value this week nor last ("—", "—")."""
    return row.change == UNCHANGED or (row.value == DASH and row.change == DASH)


def future_only(
    upcoming: dict[str, list[dict[str, Any]]], since: datetime | None
) -> dict[str, list[dict[str, Any]]]:
    """Calls and master classes that start at or after ``since`` (the report's send time)."""
    if since is None:
        return upcoming
    return {
        key: [e for e in events if datetime.fromisoformat(e["starts_at"]) >= since]
        for key, events in upcoming.items()
    }


def program_rows(figures: dict[str, Any]) -> list[dict[str, str]]:
    """Each program of the region on its own row, named (the region's figures pool them)."""
    return [
        {
            "program": p["program"],
            "enrolled": format_value("count", p["enrolled"]),
            "completed": format_value("count", p["completed"]),
            "completion": format_value("rate", p["completion_rate"]),
            "on_pace": format_value("rate", p["on_pace_rate"]),
        }
        for p in figures.get("programs", [])
    ]


def regional_csv(
    *, week: str, figures: dict[str, Any], previous: dict[str, Any] | None, locale: str = "en"
) -> str:
    """The regional CSV: the email's rows, headers and metric names in ``locale`` (the
    report's language, or the reader's for a download), figures as machine numbers (a rate
    as a fraction, its counts in two columns, the change signed); names only under
    ``named``, one row each with the term."""
    region = figures["region"]["name"]
    with in_language(locale):
        header = [
            _("Region"),
            _("Week"),
            _("Metric"),
            _("Value"),
            _("Counted"),
            _("Out of"),
            _("Change"),
            _("Term"),
        ]
        table: list[list[Any]] = []
        for metric in METRICS:
            current = value_of(figures, metric.key)
            num, den = (
                (value_of(figures, k) for k in metric.detail) if metric.detail else (None, None)
            )
            change = plain_change(metric.kind, current, value_of(previous, metric.key))
            value = plain_value(metric.kind, current)
            table.append([region, week, label(metric.key), value, num, den, change, None])
        if figures["region"]["policy"] == "named":
            named = _("Confirmed free rider")
            for entry in figures.get("free_rider_names", []):
                table.append([region, week, named, entry["name"], None, None, None, entry["term"]])
    return write_csv(header, table)


def league(
    regions: dict[str, dict[str, Any]], previous: dict[str, dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """Regions by completion rate (best first), with the practices each runs."""
    ordered = sorted(
        regions.values(),
        key=lambda f: (
            -(f["completion_rate"] if f["completion_rate"] is not None else -1),
            f["region"]["name"],
        ),
    )
    table = []
    for rank, f in enumerate(ordered, start=1):
        before = (previous or {}).get(f["region"]["code"])
        table.append(
            {
                "rank": rank,
                "name": f["region"]["name"],
                "code": f["region"]["code"],
                "enrolled": format_value("count", f["enrolled"]),
                "completion": format_value("rate", f["completion_rate"]),
                "completion_detail": f"{f['completed']} / {f['enrolled'] - f['withdrawn']}",
                "change": format_change(
                    "rate", f["completion_rate"], before["completion_rate"] if before else None
                ),
                "practices": [format_value("rate", f[key]) for key in PRACTICES],
                "free_riders": format_value("count", f["free_riders"]),
                "policy": f["region"]["policy"],
            }
        )
    return table


def what_works(regions: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    """Each practice's average in the top half of regions by completion vs the bottom half."""
    ranked = [f for f in regions.values() if f["completion_rate"] is not None]
    ranked.sort(key=lambda f: -f["completion_rate"])
    if len(ranked) < 2:
        return []
    half = len(ranked) // 2
    top, bottom = ranked[:half], ranked[-half:]
    out = []
    for key in PRACTICES:
        top_values = [f[key] for f in top if f[key] is not None]
        bottom_values = [f[key] for f in bottom if f[key] is not None]
        out.append(
            {
                "label": label(key),
                "top": format_value("rate", mean(top_values) if top_values else None),
                "bottom": format_value("rate", mean(bottom_values) if bottom_values else None),
            }
        )
    return out


def global_context(
    *,
    week: str,
    regions: dict[str, dict[str, Any]],
    overall: dict[str, Any],
    previous: dict[str, dict[str, Any]] | None,
    previous_overall: dict[str, Any] | None,
    web_url: str,
    locale: str = "en",
) -> dict[str, Any]:
    """The template context of the global report, its labels and figures in ``locale``."""
    with in_language(locale):
        return {
            "locale": locale,
            "week": week,
            "week_span": week_span(week, locale),
            "league": league(regions, previous),
            "practice_labels": [label(key) for key in PRACTICES],
            "what_works": what_works(regions),
            "overall_rows": rows(overall, previous_overall, locale),
            "web_url": web_url,
        }


def global_report_in(
    kind: str, *, week: str, figures: dict[str, Any], locale: str, web_url: str
) -> tuple[str, str] | None:
    """The global report (HTML, text) in ``locale`` from its stored ``figures``; None for
    a report stored before its figures kept last week's (its stored English copy stands)."""
    if "previous_regions" not in figures:
        return None
    context = global_context(
        week=week,
        regions=figures["regions"],
        overall=figures["overall"],
        previous=figures["previous_regions"],
        previous_overall=figures["previous_overall"],
        web_url=web_url,
        locale=locale,
    )
    return render_content(kind, locale, context)


def global_csv(
    *, week: str, regions: dict[str, dict[str, Any]], overall: dict[str, Any], locale: str = "en"
) -> str:
    """The league table as CSV: one row per region and one for all regions, headers in
    ``locale``, figures as machine numbers (rates as fractions)."""
    with in_language(locale):
        header = [_("Region"), _("Week"), *(label(m.key) for m in METRICS)]
        everyone = {**overall, "region": {"name": _("All regions")}}
    ordered = sorted(regions.values(), key=lambda f: f["region"]["name"])
    table = [
        [f["region"]["name"], week, *(plain_value(m.kind, value_of(f, m.key)) for m in METRICS)]
        for f in [*ordered, everyone]
    ]
    return write_csv(header, table)
