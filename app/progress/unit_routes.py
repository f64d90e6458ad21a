"""The import page's unmatched units (map them to the program's modules and apply the file
again, no new upload), and the decision pages' note of how old the progress data is."""

from __future__ import annotations

from typing import Any

from flask import abort, g, redirect, url_for

from app.auth.access import current_staff
from app.db import utcnow
from app.language import current_locale
from app.progress.blueprints import bp
from app.progress.forms import UnitsForm
from app.progress.models import ImportStatus, ProgressImport
from app.progress.policy import may_map_units
from app.progress.queries import as_of_text, is_stale, max_age, progress_freshness
from app.progress.reapply import map_units_and_reapply
from app.scoping import get_in_region_or_404
from app.transaction import rollback


@bp.app_template_global("progress_freshness_of")
def progress_freshness_of(rollout: Any) -> dict[str, Any]:
    """For the decision pages (``progress/_freshness.html``): the rollout's newest progress
    data and whether it is older than its region allows. The date is written as the page's
    language writes dates (an English page said "Mo., 2. Nov." for a German region), in the
    region's time zone."""

    fresh = progress_freshness([rollout.id]).get(rollout.id)
    region = rollout.region
    return {
        "fresh": fresh,
        "as_of": (
            as_of_text(fresh.as_of, zone=region.time_zone, locale=current_locale())
            if fresh
            else None
        ),
        "stale": is_stale(fresh, region=rollout.region, now=utcnow()),
        "max_age_days": max_age(rollout.region).days,
    }


@bp.post("/r/<region>/progress/imports/<int:import_id>/units")
def map_units(import_id: int) -> Any:
    record = get_in_region_or_404(ProgressImport, import_id)
    if not may_map_units(g.region_roles):
        abort(403)
    if record.status is not ImportStatus.DONE:
        abort(409)
    form = UnitsForm()
    units, picks = form.unit.data, form.module.data
    if len(units) != len(picks):
        abort(400)
    staff = current_staff()
    try:
        again = map_units_and_reapply(
            record=record,
            choices=dict(zip(units, picks, strict=True)),
            created_by_id=staff.id if staff is not None else None,
        )
    except ValueError:
        rollback()
        abort(400)
    target = again if again is not None else record
    return redirect(url_for("progress.import_status", import_id=target.id), code=303)
