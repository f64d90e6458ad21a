"""The figures of a region's week: the weekly report's figures, by the same query."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, render_template, request

from app.auth.access import require_role
from app.auth.models import Role
from app.db import utcnow
from app.metrics.presentation import rows
from app.metrics.queries import compute, week_cutoffs
from app.weeks import last_complete_week, parse_week, shift_week

bp = Blueprint("metrics", __name__)


@bp.get("/r/<region>/metrics")
@require_role(Role.SPONSOR, Role.LOCAL_LEAD, Role.EXPERT, Role.HR_PARTNER)
def dashboard() -> Any:
    """A week's figures (the last complete week unless ``?week=2026-W48``), counted up to the
    week's end in the region's zone: what that week's report says, not a live count that
    would drift from it during the week."""
    region = g.region
    latest = last_complete_week(utcnow(), region.time_zone)
    week = request.args.get("week", latest).upper()
    try:
        parse_week(week)
    except ValueError:
        abort(404)
    if week > latest:
        abort(404)
    current = compute(week_cutoffs(week, [region])).regions[region.id]
    previous = compute(week_cutoffs(shift_week(week, -1), [region]), with_names=False)
    return render_template(
        "metrics/dashboard.html",
        region=region,
        week=week,
        earlier=shift_week(week, -1),
        later=shift_week(week, 1) if week < latest else None,
        # in the staff member's language, as the page
        rows=rows(current, previous.regions[region.id], None),
        enrolled=current["enrolled"],
    )
