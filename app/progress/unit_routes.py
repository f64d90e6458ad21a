"""The import page's unmatched units: map them to the program's modules and apply the file
again (no new upload)."""

from __future__ import annotations

from typing import Any

from flask import abort, g, redirect, request, url_for

from app.auth.access import current_staff
from app.extensions import db
from app.progress.models import ImportStatus, ProgressImport
from app.progress.policy import may_map_units
from app.progress.reapply import map_units_and_reapply
from app.progress.routes import bp
from app.scoping import get_in_region_or_404


@bp.post("/r/<region>/progress/imports/<int:import_id>/units")
def map_units(import_id: int) -> Any:
    record = get_in_region_or_404(ProgressImport, import_id)
    if not may_map_units(g.region_roles):
        abort(403)
    if record.status is not ImportStatus.DONE:
        abort(409)
    units = request.form.getlist("unit")
    picks = request.form.getlist("module")
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
        db.session.rollback()
        abort(400)
    db.session.commit()
    target = again if again is not None else record
    return redirect(url_for("progress.import_status", import_id=target.id), code=303)
