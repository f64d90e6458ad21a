"""Rollout pages (the workspace of a region's run of a program)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from app.rollouts.models import Rollout
from app.rollouts.queries import funnel, state_counts
from app.scoping import get_in_region_or_404

bp = Blueprint("rollouts", __name__)


@bp.get("/r/<region>/rollouts/<slug>")
def overview(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    counts = state_counts([rollout.id])[rollout.id]
    return render_template(
        "rollouts/overview.html", rollout=rollout, funnel=funnel(counts), counts=counts
    )
