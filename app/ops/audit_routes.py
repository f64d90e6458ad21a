"""The audit trail, read-only, for global admins (blueprint `audit`). With the operators'
pages: it needs sign-in (app.auth), which records into the trail (app.audit) below it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from app.audit import labels, queries
from app.auth.access import require_role
from app.auth.models import Role
from app.regions.queries import regions_by_name

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_SIZE = 100


@bp.get("/")
@require_role(Role.GLOBAL_ADMIN)
def index() -> Any:
    page = max(1, request.args.get("page", 1, type=int))
    region_code = request.args.get("region", "")
    action = request.args.get("action", "").strip()
    regions = regions_by_name()
    region = next((r for r in regions if r.code == region_code), None)
    events, total = queries.events_page(
        region_id=region.id if region is not None else None,
        action_prefix=action,
        page=page,
        page_size=PAGE_SIZE,
    )
    return render_template(
        "audit/index.html",
        events=events,
        regions=regions,
        region_names={r.id: r.name for r in regions},
        region_code=region_code,
        action=action,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        total=total,
        labels=labels,
    )
