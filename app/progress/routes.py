"""Progress pages (upload an export, watch its import) and the xAPI endpoint."""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    g,
    jsonify,
    redirect,
    render_template,
    url_for,
)

from app.auth.access import current_staff, may_see_names, require_role
from app.auth.models import Role
from app.language import N_, _

# the import page's unit mapping and the columns page: their own modules, on the same blueprint
from app.progress import column_routes, unit_routes  # noqa: F401
from app.progress.blueprints import bp
from app.progress.columns import plan
from app.progress.formats import FORMATS, GENERIC_KEYS
from app.progress.forms import UploadForm
from app.progress.kept_files import file_kept
from app.progress.models import ImportStatus, ProgressImport
from app.progress.policy import may_map_units
from app.progress.queries import completed_learners, recent_imports
from app.progress.reapply import IGNORE
from app.progress.services import create_import
from app.progress.texts import failed, import_error
from app.rollouts.models import Rollout
from app.scoping import get_in_region_or_404

FORMAT_LABELS = {
    "auto": N_("Detect from the header"),
    "openedx": N_("Open edX grade report"),
    "openedx-problems": N_("Open edX problem grade report"),
    "moodle": N_("Moodle completion report"),
    "linkedin": N_("LinkedIn Learning learner report"),
    "udemy": N_("Udemy Business user course activity report"),
    "generic": N_("Other platform (you confirm which column is which)"),
    "summit": N_("Summit CSV"),
}


def _names_or_403() -> None:
    """Import pages list learners' emails: not for sponsors of an ``aggregate`` region."""
    if not may_see_names():
        abort(403)


@bp.get("/r/<region>/rollouts/<slug>/progress")
def imports(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    _names_or_403()
    recent = recent_imports(rollout.id)
    return render_template(
        "progress/imports.html",
        rollout=rollout,
        imports=recent,
        formats=FORMAT_LABELS,
        generic_keys=GENERIC_KEYS,
        errors={},
        can_upload=bool(g.region_roles & {Role.LOCAL_LEAD, Role.GLOBAL_ADMIN}),
        completed=completed_learners(rollout.id),
    )


@bp.post("/r/<region>/rollouts/<slug>/progress")
@require_role(Role.LOCAL_LEAD)
def upload(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    form = UploadForm()
    upload_file = form.file.data
    fmt = form.format.data or "auto"
    errors: dict[str, str] = {}
    if upload_file is None or not upload_file.filename:
        errors["file"] = _("Choose the CSV file exported from the course platform.")
    if fmt not in FORMATS:
        errors["format"] = _("Choose one of the listed formats.")
    mapping = form.mapping()  # empty: the columns page shows the file's headers and asks
    if errors:
        return _upload_page(rollout, errors, 400)
    assert upload_file is not None
    record = create_import(
        region=g.region,
        rollout=rollout,
        filename=upload_file.filename or "upload.csv",
        stream=upload_file.stream,
        requested_format=fmt,
        created_by_id=current_staff().id,  # type: ignore[union-attr]
        options={"mapping": mapping} if mapping else {},
        queue=False,
    )

    plan(record=record, region=g.region, typed=mapping)
    if record.status is ImportStatus.FAILED:  # no progress export at all: say why, here
        return _upload_page(rollout, {"file": import_error(record.error)}, 400)
    if record.status is ImportStatus.NEEDS_MAPPING:
        return redirect(url_for("progress.columns", import_id=record.id), code=303)
    return redirect(url_for("progress.import_status", import_id=record.id), code=303)


def _upload_page(rollout: Rollout, errors: dict[str, str], status: int) -> Any:
    recent = recent_imports(rollout.id)
    body = render_template(
        "progress/imports.html",
        rollout=rollout,
        imports=recent,
        formats=FORMAT_LABELS,
        generic_keys=GENERIC_KEYS,
        errors=errors,
        can_upload=True,
        completed=completed_learners(rollout.id),
    )
    return body, status


@bp.get("/r/<region>/progress/imports/<int:import_id>")
def import_status(import_id: int) -> Any:
    record = get_in_region_or_404(ProgressImport, import_id)
    _names_or_403()

    return render_template(
        "progress/import.html",
        record=record,
        formats=FORMAT_LABELS,
        may_map=may_map_units(g.region_roles),
        file_kept=file_kept(record),
        modules=record.rollout.program.modules,
        ignore=IGNORE,
        failure=failed(record.error),
    )


@bp.get("/r/<region>/progress/imports/<int:import_id>.json")
def import_status_json(import_id: int) -> Any:
    record = get_in_region_or_404(ProgressImport, import_id)
    return jsonify(
        status=record.status.value,
        fraction=round(record.fraction, 4),
        rows_read=record.rows_read,
        rows_applied=record.rows_applied,
        unknown_learners=record.unknown_learners,
        unmapped_units=record.unmapped_units,
        error=import_error(record.error) if record.error else record.error,
        done=record.status.value in ("done", "failed"),
    )
