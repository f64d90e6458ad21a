"""The live figures of a region: the metrics of the reports, counted up to now."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template

from app.auth.access import require_role
from app.auth.models import Role
from app.db import utcnow
from app.metrics.presentation import rows
from app.metrics.queries import compute
from app.weeks import last_complete_week, week_end

bp = Blueprint("metrics", __name__)


@bp.get("/r/<region>/metrics")
@require_role(Role.SPONSOR, Role.LOCAL_LEAD, Role.EXPERT, Role.HR_PARTNER)
def dashboard() -> Any:
    region = g.region
    now = utcnow()
    current = compute({region.id: now}).regions[region.id]
    last_week = week_end(last_complete_week(now, region.time_zone), region.time_zone)
    previous = compute({region.id: last_week}, with_names=False).regions[region.id]
    return render_template(
        "metrics/dashboard.html",
        region=region,
        rows=rows(current, previous, None),  # in the staff member's language, as the page
        enrolled=current["enrolled"],
    )
