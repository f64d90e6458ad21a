"""The report archive (staff, read-only) and "Build now". A sponsor's subscription pages
(signed links) are ``app/reports/public.py``."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from app.auth.access import current_staff, require_role
from app.db import utcnow
from app.language import _, current_locale
from app.links.services import absolute_url
from app.readcache import cached_page
from app.reports import builds, content, permissions, queries
from app.reports.content import CHART_CID
from app.reports.models import Report
from app.reports.sending import GLOBAL_KIND
from app.weeks import last_complete_week, parse_week

bp = Blueprint("reports", __name__)

PAGE_SIZE = 26


def _region_report_or_404(week: str) -> Report:
    try:
        parse_week(week)
    except ValueError:
        abort(404)
    report = queries.report_of_week(week, region_id=g.region.id)
    if report is None:
        abort(404)
    return report


def _global_report_or_404(week: str) -> Report:
    if not permissions.may_read_global():
        abort(404)
    try:
        parse_week(week)
    except ValueError:
        abort(404)
    report = queries.report_of_week(week, region_id=None)
    if report is None:
        abort(404)
    return report


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@bp.get("/r/<region>/reports/")
@require_role(*permissions.READERS)
@cached_page
def index() -> Any:
    page = _page()
    reports = queries.archive_page(
        region_id=g.region.id, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
    )
    last_week = last_complete_week(utcnow(), g.region.time_zone)
    return render_template(
        "reports/index.html",
        can_build=permissions.may_build(),
        last_week=last_week,
        building=builds.build_running(region_id=g.region.id, week=last_week),
        reports=reports[:PAGE_SIZE],
        page=page,
        has_next=len(reports) > PAGE_SIZE,
        title=_("Weekly reports: %(region)s", region=g.region.name),
        show_endpoint="reports.show",
    )


@bp.post("/r/<region>/reports/build")
@require_role(*permissions.BUILDERS)
def build() -> Any:
    """Build last week's snapshot now (a job with a progress bar); nothing is sent."""
    week = last_complete_week(utcnow(), g.region.time_zone)
    builds.request_build(region=g.region, week=week, actor=current_staff())
    return redirect(url_for("reports.index"))


@bp.get("/r/<region>/reports/build/<week>.json")
@require_role(*permissions.READERS)
def build_status(week: str) -> Any:
    """The bar's poll: 404 unless this region has a build or a report of ``week``."""
    running = builds.build_running(region_id=g.region.id, week=week.upper())
    if running is None:
        _region_report_or_404(week)
    return jsonify(
        done=not running,
        fraction=None if running else 1.0,
        message=_("Building the report of %(week)s…", week=week.upper())
        if running
        else _("Built."),
    )


@bp.get("/r/<region>/reports/<week>")
@require_role(*permissions.READERS)
def show(week: str) -> Any:
    report = _region_report_or_404(week)
    chart = url_for("reports.chart", week=report.week)
    return render_template(
        "reports/show.html",
        report=report,
        title=f"{g.region.name}, {report.week}",
        body=Markup(report.html.replace(f"cid:{CHART_CID}", chart)),  # noqa: S704 (rendered by us, autoescaped, stored as sent)
        csv_url=url_for("reports.csv", week=report.week),
        index_url=url_for("reports.index"),
    )


@bp.get("/r/<region>/reports/<week>/report.csv")
@require_role(*permissions.READERS)
def csv(week: str) -> Any:
    report = _region_report_or_404(week)
    figures = report.figures or {}
    text = report.csv
    if "region" in figures:  # the reader's language (the stored one is the sponsors')
        text = content.regional_csv(
            week=report.week,
            figures=figures["region"],
            previous=figures.get("previous"),
            locale=current_locale(),
        )
    return _csv_response(text, f"summit-{g.region.code}-{report.week}.csv")


@bp.get("/r/<region>/reports/<week>/chart.png")
@require_role(*permissions.READERS)
def chart(week: str) -> Any:
    report = _region_report_or_404(week)
    if not report.chart_png:
        abort(404)
    return Response(report.chart_png, mimetype="image/png")


@bp.get("/reports/global/")
def global_index() -> Any:
    if not permissions.may_read_global():
        abort(404)
    page = _page()
    reports = queries.archive_page(
        region_id=None, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
    )
    return render_template(
        "reports/index.html",
        reports=reports[:PAGE_SIZE],
        page=page,
        has_next=len(reports) > PAGE_SIZE,
        title=_("Weekly reports: all regions"),
        show_endpoint="reports.global_show",
    )


@bp.get("/reports/global/<week>")
def global_show(week: str) -> Any:
    report = _global_report_or_404(week)
    rendered = content.global_report_in(
        GLOBAL_KIND,
        week=report.week,
        figures=report.figures or {},
        locale=current_locale(),
        web_url=absolute_url("reports.global_show", week=report.week),
    )
    html = rendered[0] if rendered else report.html  # the reader's language, else as stored
    return render_template(
        "reports/show.html",
        report=report,
        title=_("All regions, %(week)s", week=report.week),
        body=Markup(html),  # noqa: S704 (rendered by us, autoescaped)
        csv_url=url_for("reports.global_csv", week=report.week),
        index_url=url_for("reports.global_index"),
    )


@bp.get("/reports/global/<week>/report.csv")
def global_csv(week: str) -> Any:
    report = _global_report_or_404(week)
    figures = report.figures or {}
    text = report.csv
    if "regions" in figures:
        text = content.global_csv(
            week=report.week,
            regions=figures["regions"],
            overall=figures["overall"],
            locale=current_locale(),
        )
    return _csv_response(text, f"summit-global-{report.week}.csv")


def _csv_response(text: str, filename: str) -> Response:
    return Response(
        text.encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
