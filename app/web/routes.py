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
from app.rollouts.models import Rollout
from app.rollouts.queries import completion_weeks, funnel, state_counts
from app.rollouts.services import status_name
from app.tasks import jobs_run_inline, live_workers, redis_available
from app.web import queries

bp = Blueprint("web", __name__)


@bp.get("/")
def home() -> Any:
    regions = regions_by_name()
    rollouts = queries.rollouts_by_slug()
    counts = state_counts(r.id for r in rollouts)
    by_region: dict[int, list[Rollout]] = {}
    for rollout in rollouts:
        by_region.setdefault(rollout.region_id, []).append(rollout)
    return render_template(
        "web/home.html",
        regions=regions,
        by_region=by_region,
        funnels={r.id: funnel(counts[r.id]) for r in rollouts},
        user=current_staff(),
    )


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
    return render_template(
        "web/region.html",
        region=g.region,
        rollouts=rollouts,
        funnels={r.id: funnel(counts[r.id]) for r in rollouts},
        stages=stages,
        funnel_chart=charts.funnel(stages),
        trend_chart=charts.trend(completion_weeks(g.region, now)),
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
