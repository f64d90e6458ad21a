"""The columns page: a file in no known format shows its headers and first values, Summit
guesses which column is which, the lead confirms, and the import runs (remembered for the
next file with the same headers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, g, redirect, render_template, url_for

from app.auth.access import current_staff
from app.language import N_
from app.progress.blueprints import bp
from app.progress.columns import COLUMN_KEYS, clean, confirm, peek, remembered
from app.progress.forms import ColumnsForm
from app.progress.guessing import guess
from app.progress.kept_files import file_kept
from app.progress.models import ImportStatus, ProgressImport
from app.progress.policy import may_import
from app.scoping import get_in_region_or_404

LABELS = {
    "learner_column": N_("Learner"),
    "unit_column": N_("Module (its values are matched to module titles)"),
    "percent_column": N_("Percent done (optional)"),
    "completed_column": N_("Completed (optional)"),
    "observed_at_column": N_("Date of the progress (optional)"),
}


def _load(import_id: int) -> ProgressImport:
    record = get_in_region_or_404(ProgressImport, import_id)
    if not may_import(g.region_roles):
        abort(403)
    if record.status is not ImportStatus.NEEDS_MAPPING or not file_kept(record):
        abort(409)
    return record


def _page(record: ProgressImport, mapping: dict[str, Any], errors: dict[str, str], status: int):
    headers, rows = peek(Path(record.stored_path))
    body = render_template(
        "progress/columns.html",
        record=record,
        headers=headers,
        rows=[[row[i] if i < len(row) else "" for i in range(len(headers))] for row in rows],
        mapping=mapping,
        errors=errors,
        keys=COLUMN_KEYS,
        labels=LABELS,
    )
    return body, status


@bp.get("/r/<region>/progress/imports/<int:import_id>/columns")
def columns(import_id: int) -> Any:
    record = _load(import_id)
    headers, rows = peek(Path(record.stored_path))
    known = remembered(region=g.region, headers=headers)
    return _page(record, known.mapping if known else guess(headers, rows), {}, 200)


@bp.post("/r/<region>/progress/imports/<int:import_id>/columns")
def confirm_columns(import_id: int) -> Any:
    record = _load(import_id)
    headers, _ = peek(Path(record.stored_path))
    mapping, errors = clean(ColumnsForm().posted(), headers)
    if errors:
        return _page(record, mapping, errors, 400)
    staff = current_staff()
    confirm(
        record=record,
        mapping=mapping,
        headers=headers,
        staff_id=staff.id if staff is not None else None,
    )
    return redirect(url_for("progress.import_status", import_id=record.id), code=303)
