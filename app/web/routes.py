"""Home, region overview and health."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from app import charts
from app.auth.access import current_staff, public
from app.auth.models import Role
from app.db import utcnow
from app.metrics.queries import FUNNEL_KEYS
from app.programs.queries import program_with_slug
from app.readcache import read_cache
from app.regions.queries import region_with_code, regions_by_name
from app.reports.services import is_global_reader
from app.rollouts.queries import funnel
from app.rollouts.services import status_name
from app.tasks import jobs_run_inline, live_workers, redis_available
from app.web import inbox, queries
from app.web.queries import completion_weeks_all

bp = Blueprint("web", __name__)


#: rows of the global admin's league per page (100 regions × a few rollouts each)
LEAGUE_PAGE = 50


def _sort_args() -> tuple[str, bool]:
    sort = request.args.get("sort", "completion")
    if sort not in inbox.SORT_KEYS:
        sort = "completion"
    return sort, request.args.get("dir", "desc") != "asc"


@bp.get("/")
def home() -> Any:
    """Each role's section, most actionable first: the lead's inbox, the next calls of
    experts and HR partners, the global admin's league, the sponsors' reports."""
    user = current_staff()
    regions = regions_by_name()
    names = {r.id: r for r in regions}
    now = utcnow()
    lead_ids = [r.id for r in regions if Role.LOCAL_LEAD in user.roles_in(r.id)]
    host_ids = [r.id for r in regions if {Role.EXPERT, Role.HR_PARTNER} & user.roles_in(r.id)]
    sponsor_ids = [r.id for r in regions if Role.SPONSOR in user.roles_in(r.id)]
    global_reader = is_global_reader(user)
    context: dict[str, Any] = {"regions": names, "user": user, "now": now}
    if lead_ids:
        context["lead"] = {
            "approvals": inbox.approvals_waiting(lead_ids),
            "reviews": inbox.reviews_due(lead_ids),
            "failed": inbox.imports_failed(lead_ids, now),
            "people": inbox.people_to_place(lead_ids),
            "calls": inbox.next_calls(lead_ids, now),
            "freshness": inbox.data_freshness(lead_ids, now),
        }
    if host_ids:
        absentees, absent_total = inbox.missed_in_a_row(host_ids, now)
        context["host"] = {
            "calls": inbox.next_calls(host_ids, now, with_questions=True),
            "absentees": absentees,
            "absent_total": absent_total,
            "in_a_row": inbox.MISSED_IN_A_ROW,
        }
    if user.is_global_admin:
        sort, descending = _sort_args()
        page = max(request.args.get("page", 1, type=int) or 1, 1)
        rows, total = inbox.league_page(
            None, now, sort=sort, descending=descending, page=page, page_size=LEAGUE_PAGE
        )
        context["admin"] = {
            "rows": rows,
            "total": total,
            "page": page,
            "has_next": page * LEAGUE_PAGE < total,
            "sort": sort,
            "descending": descending,
            "chart": charts.trend(completion_weeks_all([r for r in regions], now)),
        }
    if sponsor_ids or (global_reader and not user.is_global_admin):
        reports = inbox.latest_reports(sponsor_ids, with_global=global_reader)
        global_report = next((r for r in reports if r.region_id is None), None)
        sort, descending = _sort_args()
        context["sponsor"] = {
            "reports": reports,
            "global_report": global_report,
            "league": []
            if global_report is None
            else inbox.league_of_regions(global_report.id, sort=sort, descending=descending),
            "sort": sort,
            "descending": descending,
            "region_ids": sponsor_ids,
            "global_reader": global_reader,
        }
    if (lead_ids or host_ids or sponsor_ids) and not user.is_global_admin:
        # below the actions: the way into each of their regions and its rollouts
        by_region: dict[int, list[Any]] = {}
        for rollout in queries.rollouts_by_slug():
            by_region.setdefault(rollout.region_id, []).append(rollout)
        context["my_regions"] = [(r, by_region.get(r.id, [])) for r in regions]
    return render_template("web/home.html", **context)


@bp.get("/programs/<slug>")
def program(slug: str) -> Any:
    """A program: its modules and terms, the regions running it (those the reader may
    see) and, for a local lead or global admin, a way to adopt it in their regions."""
    found = program_with_slug(slug)
    if found is None:
        abort(404)
    running = queries.regions_running(found.id)
    user = current_staff()
    taken = {r.region.id for r in running}
    adoptable = [
        region
        for region in regions_by_name()
        if region.id not in taken
        and user is not None
        and (user.is_global_admin or Role.LOCAL_LEAD in user.roles_in(region.id))
    ]
    return render_template(
        "programs/show.html",
        program=found,
        running=running,
        adoptable=adoptable,
        statuses={r.rollout.id: status_name(r.rollout.status) for r in running},
    )


@bp.get("/r/<region>/")
@read_cache.page
def region_overview() -> Any:
    rollouts = queries.rollouts_by_slug(g.region.id)
    counts = queries.cached_state_counts(tuple(r.id for r in rollouts))
    now = utcnow()
    figures = queries.funnel_now(g.region.id)
    stages = [(charts.stage_label(key), figures[key]) for key in FUNNEL_KEYS]
    sort, descending = _sort_args()
    league = inbox.league([g.region.id], now, sort=sort, descending=descending)
    by_slug = {r.slug: r for r in rollouts}
    return render_template(
        "web/region.html",
        region=g.region,
        rollouts=rollouts,
        league=[(row, by_slug[row.slug]) for row in league if row.slug in by_slug],
        sort=sort,
        descending=descending,
        funnels={r.id: funnel(counts[r.id]) for r in rollouts},
        stages=stages,
        funnel_chart=charts.funnel(stages),
        trend_chart=charts.trend(queries.completion_since_launch(g.region, now)),
    )


@bp.get("/switch-region")
def switch_region() -> Any:
    """The region switcher's target (a GET that only navigates)."""
    code = request.args.get("code", "")
    region = region_with_code(code)
    if region is None:
        abort(404)
    return redirect(url_for("web.region_overview", region=region.code))


@bp.app_context_processor
def _nav_regions() -> dict[str, Any]:
    if g.get("identity") is None:
        return {"nav_regions": []}
    return {"nav_regions": queries.regions_in_scope()}


@bp.get("/healthz")
@public
def healthz() -> Any:

    status: dict[str, Any] = {}
    status["database"] = queries.database_answers()
    status["redis"] = "ok" if redis_available() else "down"
    status["jobs"] = "inline" if jobs_run_inline() else "rq"
    healthy = status["database"] == "ok"
    status["status"] = "ok" if healthy else "down"
    if status["jobs"] == "rq":
        # the web still answers (200), but nothing queued gets done: say so
        status["workers"] = live_workers()
        if not status["workers"]:
            status["warning"] = "no worker is alive: queued jobs and emails wait"
            status["status"] = "degraded" if healthy else "down"
    return jsonify(status), 200 if healthy else 503
