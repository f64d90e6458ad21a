"""The report archive (staff, read-only) and subscription management (signed links)."""

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
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select
from sqlalchemy.orm import load_only

from app.audit.services import record
from app.auth.access import current_staff, grant_region, public, require_role
from app.auth.models import Role, StaffUser
from app.db import utcnow
from app.extensions import csrf, db
from app.links.services import ActionClaims, LinkInvalid, read_token
from app.readcache import cached_page
from app.reports import fresh_links, services
from app.reports.content import CHART_CID
from app.reports.models import Report, ReportScope
from app.rollouts.models import RolloutSponsor
from app.tasks import enqueue_after_commit, get_redis, jobs_run_inline
from app.weeks import last_complete_week, parse_week

bp = Blueprint("reports", __name__)
public_bp = Blueprint("reports_public", __name__)

READERS = (Role.SPONSOR, Role.LOCAL_LEAD, Role.EXPERT, Role.HR_PARTNER)
PAGE_SIZE = 26


def _region_report_or_404(week: str) -> Report:
    try:
        parse_week(week)
    except ValueError:
        abort(404)
    # Report is not RegionScoped: filter by the URL's region explicitly
    report = db.session.scalars(
        select(Report).where(
            Report.scope == ReportScope.REGION.value,
            Report.region_id == g.region.id,
            Report.week == week.upper(),
        )
    ).one_or_none()
    if report is None:
        abort(404)
    return report


def _global_report_or_404(week: str) -> Report:
    if not services.is_global_reader(current_staff()):
        abort(404)
    try:
        parse_week(week)
    except ValueError:
        abort(404)
    report = db.session.scalars(
        select(Report).where(
            Report.scope == ReportScope.GLOBAL.value,
            Report.region_id.is_(None),
            Report.week == week.upper(),
        )
    ).one_or_none()
    if report is None:
        abort(404)
    return report


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


#: what an archive list shows: not the snapshots themselves (HTML, chart, CSV, figures:
#: about 35 KB a report), which only the report's own page loads
_LISTED = load_only(
    Report.id,
    Report.scope,
    Report.region_id,
    Report.week,
    Report.built_at,
    Report.sent_at,
    Report.recipients,
)


@bp.get("/r/<region>/reports/")
@require_role(*READERS)
@cached_page
def index() -> Any:
    page = _page()
    reports = db.session.scalars(
        select(Report)
        .where(Report.scope == ReportScope.REGION.value, Report.region_id == g.region.id)
        .options(_LISTED)
        .order_by(Report.week.desc())
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()

    last_week = last_complete_week(utcnow(), g.region.time_zone)
    return render_template(
        "reports/index.html",
        can_build=bool((g.get("region_roles") or set()) & {Role.LOCAL_LEAD, Role.GLOBAL_ADMIN}),
        last_week=last_week,
        building=_build_running(last_week),
        reports=reports[:PAGE_SIZE],
        page=page,
        has_next=len(reports) > PAGE_SIZE,
        title=f"Weekly reports: {g.region.name}",
        show_endpoint="reports.show",
    )


def _build_job_id(week: str) -> str:
    return f"report-build-{g.region.id}-{week}"


def _build_running(week: str) -> bool | None:
    """Whether the build of ``week`` asked from this page is queued or running (None: no such
    build, or jobs run in-process)."""

    if jobs_run_inline():
        return None
    try:
        job = Job.fetch(_build_job_id(week), connection=get_redis())
    except NoSuchJobError:
        return None
    return job.get_status(refresh=False) in ("queued", "started", "deferred", "scheduled")


@bp.post("/r/<region>/reports/build")
@require_role(Role.LOCAL_LEAD)
def build() -> Any:
    """Build last week's snapshot now (a job with a progress bar); nothing is sent."""

    week = last_complete_week(utcnow(), g.region.time_zone)
    if not _build_running(week):
        record(
            region_id=g.region.id,
            action="report.build_requested",
            obj=g.region,
            actor=current_staff(),
            channel="web",
            data={"week": week},
        )
        enqueue_after_commit(
            "jobs.reports.build_region_report",
            g.region.id,
            week,
            queue="reports",
            job_id=_build_job_id(week),
            job_timeout=900,
        )
        db.session.commit()
    return redirect(url_for("reports.index"))


@bp.get("/r/<region>/reports/build/<week>.json")
@require_role(*READERS)
def build_status(week: str) -> Any:
    """The bar's poll: 404 unless this region has a build or a report of ``week``."""
    running = _build_running(week.upper())
    if running is None:
        _region_report_or_404(week)
    return jsonify(
        done=not running,
        fraction=None if running else 1.0,
        message=f"Building the report of {week.upper()}…" if running else "Built.",
    )


@bp.get("/r/<region>/reports/<week>")
@require_role(*READERS)
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
@require_role(*READERS)
def csv(week: str) -> Any:
    report = _region_report_or_404(week)
    return _csv_response(report, f"summit-{g.region.code}-{report.week}.csv")


@bp.get("/r/<region>/reports/<week>/chart.png")
@require_role(*READERS)
def chart(week: str) -> Any:
    report = _region_report_or_404(week)
    if not report.chart_png:
        abort(404)
    return Response(report.chart_png, mimetype="image/png")


@bp.get("/reports/global/")
def global_index() -> Any:
    if not services.is_global_reader(current_staff()):
        abort(404)
    page = _page()
    reports = db.session.scalars(
        select(Report)
        .where(Report.scope == ReportScope.GLOBAL.value, Report.region_id.is_(None))
        .options(_LISTED)
        .order_by(Report.week.desc())
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "reports/index.html",
        reports=reports[:PAGE_SIZE],
        page=page,
        has_next=len(reports) > PAGE_SIZE,
        title="Weekly reports: all regions",
        show_endpoint="reports.global_show",
    )


@bp.get("/reports/global/<week>")
def global_show(week: str) -> Any:
    report = _global_report_or_404(week)
    return render_template(
        "reports/show.html",
        report=report,
        title=f"All regions, {report.week}",
        body=Markup(report.html),  # noqa: S704 (rendered by us, autoescaped, stored as sent)
        csv_url=url_for("reports.global_csv", week=report.week),
        index_url=url_for("reports.global_index"),
    )


@bp.get("/reports/global/<week>/report.csv")
def global_csv(week: str) -> Any:
    report = _global_report_or_404(week)
    return _csv_response(report, f"summit-global-{report.week}.csv")


def _csv_response(report: Report, filename: str) -> Response:
    return Response(
        report.csv.encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# -- subscriptions through a signed link ----------------------------------------------------


def _claims(token: str) -> ActionClaims:
    for purpose in (services.REGION_PURPOSE, services.GLOBAL_PURPOSE):
        try:
            return read_token(token, purpose=purpose, max_age=fresh_links.LINK_MAX_AGE)
        except LinkInvalid:
            continue
        # LinkExpired: the links' expired page offers a fresh link by email
    abort(404)


def _subscription(claims: ActionClaims) -> dict[str, Any] | None:
    """Who the link is for and whether they are subscribed (None: no longer exists)."""
    if claims.purpose == services.REGION_PURPOSE:
        grant_region(claims.object_id)
        sponsor = db.session.scalars(
            select(RolloutSponsor).where(
                RolloutSponsor.id == claims.person_id,
                RolloutSponsor.region_id == claims.object_id,
            )
        ).one_or_none()
        if sponsor is None:
            return None
        return {
            "name": sponsor.name,
            "what": f"the weekly report of {sponsor.rollout.region.name}",
            "subscribed": sponsor.subscribed,
        }

    user = db.session.get(StaffUser, claims.person_id)
    if user is None:
        return None
    return {
        "name": user.name,
        "what": "the global weekly report",
        "subscribed": user.id not in {u.id for u in services.global_sponsors()},
    }


def _apply(claims: ActionClaims, subscribed: bool) -> bool:
    if claims.purpose == services.REGION_PURPOSE:
        grant_region(claims.object_id)
        return services.set_regional_subscription(
            region_id=claims.object_id, sponsor_id=claims.person_id, subscribed=subscribed
        )
    return services.set_global_subscription(staff_user_id=claims.person_id, subscribed=subscribed)


@public_bp.get("/reports/subscription/<token>")
@public
def subscription(token: str) -> Any:
    """The page a report's "manage your subscription" link opens (a GET changes nothing)."""
    claims = _claims(token)
    state = _subscription(claims)
    if state is None:
        abort(404)
    return render_template("reports/subscription.html", state=state, token=token)


@public_bp.post("/reports/subscription/<token>")
@public
def subscription_post(token: str) -> Any:
    claims = _claims(token)
    action = request.form.get("action")
    if action not in {"subscribe", "unsubscribe"}:
        abort(400)
    if not _apply(claims, action == "subscribe"):
        abort(404)
    db.session.commit()
    state = _subscription(claims)
    return render_template("reports/subscription.html", state=state, token=token, done=action)


@public_bp.post("/reports/unsubscribe/<token>")
@public
@csrf.exempt
def one_click(token: str) -> Any:
    """RFC 8058 one-click unsubscribe: the mail client POSTs ``List-Unsubscribe=One-Click``.

    Public, CSRF-exempt (the signed token is the credential), idempotent.
    """
    claims = _claims(token)
    if not _apply(claims, False):
        abort(404)
    db.session.commit()
    return Response("Unsubscribed.\n", mimetype="text/plain")


@public_bp.get("/reports/unsubscribe/<token>")
@public
def one_click_page(token: str) -> Any:
    """A GET of the one-click URL (a link scanner, a curious reader) changes nothing."""
    _claims(token)
    return redirect(url_for("reports_public.subscription", token=token))
