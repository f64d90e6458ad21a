"""Weekly sponsor reports: build the snapshots, send them once, say when they are due.

A report is a snapshot (``Report``) of one region's week (or the global one), built
from :mod:`app.metrics` and frozen when sent: the archive shows exactly what went out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.auth.models import Role, RoleAssignment, StaffUser
from app.db import utcnow
from app.extensions import db
from app.journey import queries as journey_queries
from app.language import _, force_reader
from app.links.services import absolute_url
from app.metrics.queries import Snapshot, compute, upcoming, week_cutoffs
from app.programs.models import Program
from app.progress.queries import progress_freshness
from app.regions.models import Region
from app.reports import content
from app.reports.chart import ChartWords, chart_words, drawn_aside, trend_alt
from app.reports.models import GlobalReportOptOut, Report, ReportScope
from app.reports.sending import (
    GLOBAL_KIND,
    REGION_KIND,
    regional_recipients,
    send_global,
    send_regional,
)
from app.reports.summary import rank_of
from app.rollouts.models import Rollout, RolloutStatus
from app.rollouts.queries import completion_trend
from app.weeks import last_complete_week, send_time, shift_week, week_end

log = logging.getLogger(__name__)

TREND_WEEKS = 8
#: how late a missed weekly report is still sent by the scheduler
CATCH_UP = timedelta(hours=48)


def reporting_regions() -> list[Region]:
    """Regions with a launched (or closed) rollout: the ones that get a weekly report."""
    return list(
        db.session.scalars(
            select(Region)
            .where(
                Region.id.in_(
                    select(Rollout.region_id).where(Rollout.status != RolloutStatus.DRAFT)
                )
            )
            .order_by(Region.name)
        )
    )


def global_sponsors() -> list[StaffUser]:
    """Who receives the global report: staff holding the sponsor role with no region
    (a "global sponsor"), minus those who unsubscribed."""
    opted_out = select(GlobalReportOptOut.staff_user_id)
    return list(
        db.session.scalars(
            select(StaffUser)
            .join(RoleAssignment, RoleAssignment.user_id == StaffUser.id)
            .where(
                RoleAssignment.role == Role.SPONSOR,
                RoleAssignment.region_id.is_(None),
                StaffUser.active.is_(True),
                StaffUser.id.not_in(opted_out),
            )
            .order_by(StaffUser.id)
        ).unique()
    )


def is_global_reader(user: StaffUser | None) -> bool:
    """Global admins and global sponsors may read the global report."""
    if user is None:
        return False
    return any(
        r.role is Role.GLOBAL_ADMIN or (r.role is Role.SPONSOR and r.region_id is None)
        for r in user.roles
    )


@dataclass
class WeekBuild:
    week: str
    reports: list[Report]
    #: reports sent by this call (already-sent ones are never sent again)
    sent: list[Report]
    #: sent earlier, kept exactly as sent
    kept: list[Report]


def build_week(
    *,
    week: str,
    send: bool = False,
    region_ids: list[int] | None = None,
    include_global: bool = True,
) -> WeekBuild:
    """Build the week's snapshots (all reporting regions, or ``region_ids``) and the global one.

    Changes: upserts ``Report`` rows (a snapshot already sent is kept as sent, never
    rebuilt). Sends (``send=True``): queues one email per subscribed sponsor for each
    report not yet sent and stamps ``sent_at``; the outbox key (scope, region, week,
    address) and ``sent_at`` make a second run send nothing. Flushes; never commits.
    """
    regions = {r.id: r for r in reporting_regions()}
    cutoffs = week_cutoffs(week, list(regions.values()))
    existing = {
        (r.scope, r.region_id): r
        for r in db.session.scalars(select(Report).where(Report.week == week))
    }
    wanted = [rid for rid in regions if region_ids is None or rid in region_ids]
    to_build = [
        rid
        for rid in wanted
        if (report := existing.get((ReportScope.REGION.value, rid))) is None
        or report.sent_at is None
    ]
    trend_weeks = [shift_week(week, -k) for k in range(TREND_WEEKS - 1, -1, -1)]
    trend = completion_trend(
        {w: {rid: week_end(w, r.time_zone) for rid, r in regions.items()} for w in trend_weeks}
    )
    lines = {rid: _trend_lines(regions[rid], trend_weeks, trend) for rid in to_build}
    # the charts are drawn in a thread while the figures are counted in the database
    with drawn_aside(
        {rid: (line.region, line.overall, line.words) for rid, line in lines.items()}
    ) as charts:
        snapshot = compute(cutoffs)
        previous = _previous_figures(shift_week(week, -1), regions, snapshot)
        coming = upcoming(cutoffs)
        progress = _progress_as_of(wanted)
        result = WeekBuild(week=week, reports=[], sent=[], kept=[])
        for rid in wanted:
            region = regions[rid]
            if rid not in lines:  # sent: kept exactly as sent
                sent = existing[(ReportScope.REGION.value, rid)]
                result.kept.append(sent)
                result.reports.append(sent)
                continue
            report = existing.get((ReportScope.REGION.value, rid)) or Report(
                scope=ReportScope.REGION.value, region_id=rid, week=week
            )
            _fill_regional(
                report,
                region=region,
                figures=snapshot.regions[rid],
                previous=previous["regions"].get(region.code),
                overall=snapshot.overall,
                lines=lines[rid],
                chart_png=charts[rid].result(),
                coming=coming.get(rid, {"calls": [], "master_classes": []}),
                progress=progress.get(rid, []),
                rank=rank_of(region.code, snapshot.regions),
                region_count=len(regions),
            )
            db.session.add(report)
            result.reports.append(report)
    if include_global and regions:
        report = existing.get((ReportScope.GLOBAL.value, None))
        if report is not None and report.sent_at is not None:
            result.kept.append(report)
        else:
            report = report or Report(scope=ReportScope.GLOBAL.value, region_id=None, week=week)
            _fill_global(report, snapshot=snapshot, previous=previous)
            db.session.add(report)
        result.reports.append(report)
    db.session.flush()
    if send:
        recipients = regional_recipients(wanted)
        for report in result.reports:
            if report.sent_at is not None:
                continue
            if report.scope == ReportScope.REGION.value:
                region = regions[report.region_id]  # type: ignore[index]
                send_regional(report, region, recipients.get(region.id, []))
            else:
                send_global(report, global_sponsors())
            result.sent.append(report)
        db.session.flush()
    log.info(
        "reports %s: %s built, %s kept as sent, %s sent",
        week,
        len(result.reports) - len(result.kept),
        len(result.kept),
        len(result.sent),
    )
    return result


def _previous_figures(
    previous_week: str, regions: dict[int, Region], snapshot: Snapshot
) -> dict[str, Any]:
    """Last week's figures: as sent when archived, else counted at last week's end."""
    archived = list(db.session.scalars(select(Report).where(Report.week == previous_week)))
    by_code: dict[str, dict[str, Any]] = {}
    overall = None
    for report in archived:
        if report.scope == ReportScope.REGION.value and report.figures.get("region"):
            by_code[report.figures["region"]["region"]["code"]] = report.figures["region"]
        elif report.scope == ReportScope.GLOBAL.value:
            overall = report.figures.get("overall")
    missing = {rid: r for rid, r in regions.items() if r.code not in by_code}
    if missing or overall is None:
        counted = compute(
            {rid: week_end(previous_week, r.time_zone) for rid, r in regions.items()},
            with_names=False,
        )
        for rid, region in missing.items():
            by_code[region.code] = counted.regions[rid]
        overall = overall or counted.overall
    return {"regions": by_code, "overall": overall}


def _progress_as_of(region_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Per region, how old each launched rollout's progress data is (four statements)."""

    rows = db.session.execute(
        select(Rollout.id, Rollout.region_id, Program.title)
        .join(Program, Program.id == Rollout.program_id)
        .where(Rollout.region_id.in_(region_ids), Rollout.status == RolloutStatus.LAUNCHED)
        .order_by(Program.title, Rollout.id)
    ).all()
    fresh = progress_freshness([r.id for r in rows])
    out: dict[int, list[dict[str, Any]]] = {}
    for rollout_id, region_id, title in rows:
        found = fresh.get(rollout_id)
        out.setdefault(region_id, []).append(
            {
                "program": title,
                "as_of": found.as_of if found else None,
                "source": found.source if found else None,
            }
        )
    return out


@dataclass(frozen=True)
class _TrendLines:
    """A region's trend: its weeks, its completion rate and everyone's, and the chart's words."""

    weeks: list[str]
    region: list[float | None]
    overall: list[float | None]
    words: ChartWords
    #: the chart in words, for screen readers and blocked images
    alt: str


def _trend_lines(
    region: Region, weeks: list[str], trend: dict[str, dict[Any, float | None]]
) -> _TrendLines:
    series = [trend[w].get(region.id) for w in weeks]
    everyone = [trend[w]["all"] for w in weeks]
    # the chart's words in the region's language (issue 23)
    with force_reader(region.locale, region.time_zone):
        labels = {"region_label": region.name, "overall_label": _("All regions")}
        return _TrendLines(
            weeks=weeks,
            region=series,
            overall=everyone,
            words=chart_words(weeks, series, everyone, **labels),
            alt=trend_alt(weeks, series, everyone, **labels),
        )


def _fill_regional(
    report: Report,
    *,
    region: Region,
    figures: dict[str, Any],
    previous: dict[str, Any] | None,
    overall: dict[str, Any],
    lines: _TrendLines,
    chart_png: bytes,
    coming: dict[str, list[dict[str, Any]]],
    progress: list[dict[str, Any]] | None = None,
    rank: int | None = None,
    region_count: int = 1,
) -> None:
    # "coming up" is what is still ahead when the sponsor reads it: from the send time on
    since = max(send_time(report.week, region.time_zone), utcnow())
    web_url = absolute_url("reports.show", region=region.code, week=report.week)
    report.chart_png = chart_png
    # the figures in the region's language (issue 23)
    with force_reader(region.locale, region.time_zone):
        context = content.regional_context(
            week=report.week,
            region=region,
            figures=figures,
            previous=previous,
            upcoming=coming,
            chart_alt=lines.alt,
            web_url=web_url,
            progress=progress or [],
            rank=rank,
            region_count=region_count,
            since=since,
        )
        context["journey"] = journey_queries.email_figures(region, report.week)
    report.html, report.text = content.render_content(
        REGION_KIND, region.locale, context, region.time_zone
    )
    report.csv = content.regional_csv(
        week=report.week, figures=figures, previous=previous, locale=region.locale
    )
    report.figures = {
        "week": report.week,
        "region": figures,
        "previous": previous,
        "overall": overall,
        "trend": [
            {"week": w, "region": v, "all": a}
            for w, v, a in zip(lines.weeks, lines.region, lines.overall, strict=True)
        ],
        "upcoming": coming,
    }
    report.built_at = utcnow()


def _fill_global(report: Report, *, snapshot: Snapshot, previous: dict[str, Any]) -> None:
    # the global report never names anyone, whatever a region's policy
    regions = {
        f["region"]["code"]: {k: v for k, v in f.items() if k != "free_rider_names"}
        for f in snapshot.regions.values()
    }
    context = content.global_context(
        week=report.week,
        regions=regions,
        overall=snapshot.overall,
        previous=previous["regions"],
        previous_overall=previous["overall"],
        web_url=absolute_url("reports.global_show", week=report.week),
    )
    report.html, report.text = content.render_content(GLOBAL_KIND, "en", context)
    report.csv = content.global_csv(week=report.week, regions=regions, overall=snapshot.overall)
    report.chart_png = None
    # last week's figures too: each reader's copy is rendered from them in their language
    report.figures = {
        "week": report.week,
        "regions": regions,
        "overall": snapshot.overall,
        "previous_regions": {
            code: {k: v for k, v in f.items() if k != "free_rider_names"}
            for code, f in (previous["regions"] or {}).items()
        },
        "previous_overall": previous["overall"],
    }
    report.built_at = utcnow()


@dataclass(frozen=True)
class DueReport:
    #: "region" or "global"
    scope: str
    region_id: int | None
    week: str


def due_reports(*, now: datetime) -> list[DueReport]:
    """Reports whose send time has come and that were not sent yet (read-only).

    A region's report of week W is due from Monday 08:00 in the region's time zone
    after W. The global report of W is due from Monday 08:00 UTC, and not before
    every region's week has ended. A report still unsent :data:`CATCH_UP` after its
    time (the scheduler was down) is left to ``summit reports build --send``.
    """
    regions = reporting_regions()
    if not regions:
        return []
    weeks = {r.id: last_complete_week(now, r.time_zone) for r in regions}
    global_week = last_complete_week(now, "UTC")
    sent = {
        (r.scope, r.region_id, r.week)
        for r in db.session.scalars(
            select(Report).where(
                Report.week.in_({*weeks.values(), global_week}), Report.sent_at.is_not(None)
            )
        )
    }
    due = [
        DueReport(ReportScope.REGION.value, r.id, weeks[r.id])
        for r in regions
        if send_time(weeks[r.id], r.time_zone)
        <= now
        < send_time(weeks[r.id], r.time_zone) + CATCH_UP
        and (ReportScope.REGION.value, r.id, weeks[r.id]) not in sent
    ]
    global_from = max(
        [send_time(global_week, "UTC"), *(week_end(global_week, r.time_zone) for r in regions)]
    )
    if (
        global_from <= now < global_from + CATCH_UP
        and (ReportScope.GLOBAL.value, None, global_week) not in sent
    ):
        due.append(DueReport(ReportScope.GLOBAL.value, None, global_week))
    return due


def send_due(*, now: datetime) -> list[DueReport]:
    """Build and send every due report (what the scheduler's job calls).

    Changes and sends as :func:`build_week` with ``send=True``, per due week.
    """
    due = due_reports(now=now)
    by_week: dict[str, list[DueReport]] = {}
    for item in due:
        by_week.setdefault(item.week, []).append(item)
    for week, items in by_week.items():
        region_ids = [i.region_id for i in items if i.region_id is not None]
        build_week(
            week=week,
            send=True,
            region_ids=region_ids,
            include_global=any(i.scope == ReportScope.GLOBAL.value for i in items),
        )
    return due


# -- subscriptions -----------------------------------------------------------------------------
