"""The roster import pages of a rollout: upload, preview (with the file's columns, Summit's
guess per field and who is in), confirm, the refused rows as CSV. Thin: parse → authorise
→ service → render; the work is done by jobs (``app.roster.services``)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from app.auth.access import current_staff, require_role
from app.language import current_locale, gettext
from app.rollouts.models import Rollout
from app.rollouts.permissions import EDITORS
from app.roster import queries
from app.roster import services as imports
from app.roster.files import COLUMN_LABELS, FIELDS
from app.roster.forms import ColumnsForm, UploadForm
from app.roster.issues import issues_csv
from app.roster.models import ImportStatus, RosterImport
from app.roster.progress_bar import read_progress
from app.roster.texts import phase_text, refusal_text, roster_reason
from app.scoping import get_in_region_or_404
from app.transaction import refuse

bp = Blueprint("roster", __name__)


@bp.route("/r/<region>/rollouts/<slug>/roster", methods=["GET", "POST"])
@require_role(*EDITORS)
def roster(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    error = None
    if request.method == "POST":
        upload = UploadForm().file.data
        if upload is None or not upload.filename:
            error = gettext("Choose the roster file (CSV, TXT or XLSX) to upload.")
        else:
            roster_import = imports.create_roster_import(
                region=g.region,
                rollout=rollout,
                filename=upload.filename,
                stream=upload.stream,
                actor=current_staff(),
            )
            return redirect(url_for("roster.roster_import", slug=slug, import_id=roster_import.id))
    recent = queries.recent_imports(rollout.id)
    return render_template("roster/roster.html", rollout=rollout, recent=recent, error=error), (
        400 if error else 200
    )


def _load_import(slug: str, import_id: int) -> tuple[Rollout, RosterImport]:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    roster_import = get_in_region_or_404(RosterImport, import_id)
    if roster_import.rollout_id != rollout.id:
        abort(404)
    return rollout, roster_import


def _lead_language() -> str:
    """The lead's language for the import's reasons: the staff page's own (profile, then
    browser, then region: ``app.language.staff_locale``)."""
    return current_locale()


@bp.get("/r/<region>/rollouts/<slug>/roster/<int:import_id>")
@require_role(*EDITORS)
def roster_import(slug: str, import_id: int) -> Any:
    rollout, roster_import = _load_import(slug, import_id)

    lang = _lead_language()
    info = roster_import.headers or {}
    return render_template(
        "roster/import.html",
        rollout=rollout,
        imp=roster_import,
        progress=read_progress(roster_import.id) or {},
        phase_text=phase_text,
        issues=list(queries.import_issues(roster_import.id, refused=True, limit=100)),
        notes=list(queries.import_issues(roster_import.id, refused=False, limit=100)),
        reason=lambda issue: roster_reason(issue.code, lang) if issue.code else issue.reason,
        refusal=refusal_text(info.get("refusal"), lang),
        ImportStatus=ImportStatus,
        fields=FIELDS,
        labels=COLUMN_LABELS,
        info=info,
        chosen={
            field: (roster_import.mapping or {}).get(
                field, (info.get("used") or info.get("guess") or {}).get(field, "")
            )
            for field in FIELDS
        },
    )


@bp.get("/r/<region>/rollouts/<slug>/roster/<int:import_id>/status.json")
@require_role(*EDITORS)
def roster_import_status(slug: str, import_id: int) -> Any:
    _, roster_import = _load_import(slug, import_id)
    progress = read_progress(roster_import.id) or {}
    done = roster_import.status not in (
        ImportStatus.QUEUED,
        ImportStatus.PREVIEWING,
        ImportStatus.APPLYING,
    )
    return jsonify(
        status=roster_import.status.value,
        done=done,
        phase=phase_text(progress.get("phase", roster_import.status.value)),
        percent=100 if done else progress.get("percent", 0),
    )


@bp.post("/r/<region>/rollouts/<slug>/roster/<int:import_id>/columns")
@require_role(*EDITORS)
def roster_columns(slug: str, import_id: int) -> Any:
    """The lead names the file's columns (drop-downs) and who is in; preview again."""
    _, roster_import = _load_import(slug, import_id)
    form = ColumnsForm()
    back = url_for("roster.roster_import", slug=slug, import_id=import_id)
    try:
        imports.remap_roster_import(
            region=g.region,
            roster_import=roster_import,
            mapping=form.mapping(),
            sheet=form.sheet.data or None,
            row_filter=form.row_filter(),
        )
    except imports.MappingRefused as exc:
        return refuse(str(exc), back)
    return redirect(url_for("roster.roster_import", slug=slug, import_id=import_id))


@bp.post("/r/<region>/rollouts/<slug>/roster/<int:import_id>/confirm")
@require_role(*EDITORS)
def roster_confirm(slug: str, import_id: int) -> Any:
    _, roster_import = _load_import(slug, import_id)
    if roster_import.status is not ImportStatus.PREVIEWED:
        flash(gettext("This import is not waiting for confirmation."), "error")
    else:
        imports.confirm_roster_import(
            region=g.region, roster_import=roster_import, actor=current_staff()
        )
    return redirect(url_for("roster.roster_import", slug=slug, import_id=import_id))


@bp.get("/r/<region>/rollouts/<slug>/roster/<int:import_id>/issues.csv")
@require_role(*EDITORS)
def roster_issues_csv(slug: str, import_id: int) -> Any:
    _, roster_import = _load_import(slug, import_id)
    rows = queries.import_issues(roster_import.id, refused=True)
    return Response(
        issues_csv(rows, lang=current_locale()),  # the staff member's own language
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="roster-import-{import_id}-errors.csv"'
        },
    )
