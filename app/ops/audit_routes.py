"""The audit trail, read-only, for global admins (blueprint `audit`). With the operators'
pages: it needs sign-in (app.auth), which records into the trail (app.audit) below it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.access import require_role
from app.auth.models import Role
from app.extensions import db
from app.regions.models import Region

bp = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_SIZE = 100


@bp.get("/")
@require_role(Role.GLOBAL_ADMIN)
def index() -> Any:
    page = max(1, request.args.get("page", 1, type=int))
    region_code = request.args.get("region", "")
    action = request.args.get("action", "").strip()
    regions = db.session.scalars(select(Region).order_by(Region.name)).all()
    stmt = select(AuditEvent)
    region = next((r for r in regions if r.code == region_code), None)
    if region is not None:
        stmt = stmt.where(AuditEvent.region_id == region.id)
    if action:
        stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    events = db.session.scalars(
        stmt.order_by(AuditEvent.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
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
    )
