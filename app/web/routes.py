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
from sqlalchemy import select, text

from app import charts
from app.auth.access import current_staff, public
from app.db import utcnow
from app.extensions import db
from app.metrics.queries import FUNNEL_KEYS, funnel_at
from app.readcache import read_cache
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.rollouts.queries import completion_weeks, funnel, state_counts
from app.tasks import jobs_run_inline, live_workers, redis_available

bp = Blueprint("web", __name__)


@bp.get("/")
def home() -> Any:
    regions = db.session.scalars(select(Region).order_by(Region.name)).all()
    rollouts = db.session.scalars(select(Rollout).order_by(Rollout.slug)).all()
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


@bp.get("/r/<region>/")
@read_cache.page
def region_overview() -> Any:
    rollouts = db.session.scalars(
        select(Rollout).where(Rollout.region_id == g.region.id).order_by(Rollout.slug)
    ).all()
    counts = _state_counts(tuple(r.id for r in rollouts))
    now = utcnow()
    figures = _funnel_now(g.region.id)
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


@read_cache.cached(reads=("enrollment",))
def _state_counts(rollout_ids: tuple[int, ...]) -> dict[int, dict[Any, int]]:
    counts = state_counts(rollout_ids)
    return {rid: counts[rid] for rid in rollout_ids}


@read_cache.cached(reads=("enrollment",))
def _funnel_now(region_id: int) -> dict[str, int]:
    """The region's funnel now (its stamps are all in the past: it moves only on commit)."""
    return funnel_at({region_id: utcnow()})[region_id]


@bp.get("/switch-region")
def switch_region() -> Any:
    """The region switcher's target (a GET that only navigates)."""
    code = request.args.get("code", "")
    region = db.session.scalars(select(Region).where(Region.code == code)).one_or_none()
    if region is None:
        abort(404)
    return redirect(url_for("web.region_overview", region=region.code))


@bp.app_context_processor
def _nav_regions() -> dict[str, Any]:
    if g.get("identity") is None:
        return {"nav_regions": []}
    return {"nav_regions": _regions_in_scope()}


@read_cache.cached(reads=("region",))
def _regions_in_scope() -> list[Any]:
    """The region switcher's list: three columns, not the models, counted under the
    request's region scope (which the read cache adds to the key itself)."""
    return db.session.execute(
        select(Region.id, Region.code, Region.name).order_by(Region.name)
    ).all()


@bp.get("/healthz")
@public
def healthz() -> Any:

    status: dict[str, Any] = {}
    try:
        db.session.execute(text("SELECT 1"))
        status["database"] = "ok"
    except Exception as exc:  # any driver error means "down" here
        db.session.rollback()
        status["database"] = f"down: {type(exc).__name__}"
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
