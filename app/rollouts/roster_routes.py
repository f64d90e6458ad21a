"""The roster import pages: upload, preview (with the file's columns, Summit's guess
per field and who is in), confirm, the refused rows as CSV. Thin: parse → authorise →
service → render; the work is done by jobs (``app.rollouts.imports``)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from app.auth.access import current_staff, require_role
from app.auth.models import Role
from app.extensions import db
from app.language import accepted_language
from app.rollouts import imports
from app.rollouts.blueprints import bp
from app.rollouts.models import ImportStatus, Rollout, RosterImport, RosterImportIssue
from app.rollouts.roster_files import COLUMN_LABELS, FIELDS
from app.rollouts.roster_texts import refusal_text
from app.rollouts.texts import roster_reason
from app.scoping import get_in_region_or_404

# --- roster import -----------------------------------------------------------------------


@bp.route("/r/<region>/rollouts/<slug>/roster", methods=["GET", "POST"])
@require_role(Role.LOCAL_LEAD)
def roster(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    error = None
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            error = "Choose the roster file (CSV, TXT or XLSX) to upload."
        else:
            roster_import = imports.create_roster_import(
                region=g.region,
                rollout=rollout,
                filename=upload.filename,
                stream=upload.stream,
                actor=current_staff(),
            )
            db.session.commit()
            return redirect(
                url_for("rollouts.roster_import", slug=slug, import_id=roster_import.id)
            )
    recent = db.session.scalars(
        select(RosterImport)
        .where(RosterImport.rollout_id == rollout.id)
        .order_by(RosterImport.id.desc())
        .limit(10)
    ).all()
    return render_template("rollouts/roster.html", rollout=rollout, recent=recent, error=error), (
        400 if error else 200
    )


def _load_import(slug: str, import_id: int) -> tuple[Rollout, RosterImport]:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    roster_import = get_in_region_or_404(RosterImport, import_id)
    if roster_import.rollout_id != rollout.id:
        abort(404)
    return rollout, roster_import


def _lead_language() -> str:
    """The lead's language for the import's reasons: the browser's best of en/de/fr
    (the staff pages around them stay English)."""
    return accepted_language(request.accept_languages)


@bp.get("/r/<region>/rollouts/<slug>/roster/<int:import_id>")
@require_role(Role.LOCAL_LEAD)
def roster_import(slug: str, import_id: int) -> Any:
    rollout, roster_import = _load_import(slug, import_id)

    def first(refused: bool) -> list[RosterImportIssue]:
        return list(
            db.session.scalars(
                select(RosterImportIssue)
                .where(
                    RosterImportIssue.import_id == roster_import.id,
                    RosterImportIssue.refused.is_(refused),
                )
                .order_by(RosterImportIssue.line)
                .limit(100)
            )
        )

    lang = _lead_language()
    info = roster_import.headers or {}
    return render_template(
        "rollouts/import.html",
        rollout=rollout,
        imp=roster_import,
        progress=imports.read_progress(roster_import.id) or {},
        issues=first(True),
        notes=first(False),
        reason=lambda issue: roster_reason(issue.code, lang) if issue.code else issue.reason,
        reasons_lang=lang,
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
@require_role(Role.LOCAL_LEAD)
def roster_import_status(slug: str, import_id: int) -> Any:
    _, roster_import = _load_import(slug, import_id)
    progress = imports.read_progress(roster_import.id) or {}
    done = roster_import.status not in (
        ImportStatus.QUEUED,
        ImportStatus.PREVIEWING,
        ImportStatus.APPLYING,
    )
    return jsonify(
        status=roster_import.status.value,
        done=done,
        phase=progress.get("phase", roster_import.status.value),
        percent=100 if done else progress.get("percent", 0),
    )


@bp.post("/r/<region>/rollouts/<slug>/roster/<int:import_id>/columns")
@require_role(Role.LOCAL_LEAD)
def roster_columns(slug: str, import_id: int) -> Any:
    """The lead names the file's columns (drop-downs) and who is in; preview again."""
    _, roster_import = _load_import(slug, import_id)
    form = request.form
    mapping = {field: form.get(f"map-{field}", "").strip() for field in FIELDS}
    column = form.get("filter_column", "").strip()
    values = [v.strip() for v in form.get("filter_values", "").replace("\n", ",").split(",")]
    values = [v[:200] for v in values if v][:200]
    row_filter = {"column": column, "values": values} if column and values else None
    try:
        imports.remap_roster_import(
            region=g.region,
            roster_import=roster_import,
            mapping=mapping,
            sheet=form.get("sheet", "").strip() or None,
            row_filter=row_filter,
        )
    except imports.MappingRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("rollouts.roster_import", slug=slug, import_id=import_id))
    db.session.commit()
    return redirect(url_for("rollouts.roster_import", slug=slug, import_id=import_id))


@bp.post("/r/<region>/rollouts/<slug>/roster/<int:import_id>/confirm")
@require_role(Role.LOCAL_LEAD)
def roster_confirm(slug: str, import_id: int) -> Any:
    _, roster_import = _load_import(slug, import_id)
    if roster_import.status is not ImportStatus.PREVIEWED:
        flash("This import is not waiting for confirmation.", "error")
    else:
        imports.confirm_roster_import(
            region=g.region, roster_import=roster_import, actor=current_staff()
        )
        db.session.commit()
    return redirect(url_for("rollouts.roster_import", slug=slug, import_id=import_id))


@bp.get("/r/<region>/rollouts/<slug>/roster/<int:import_id>/issues.csv")
@require_role(Role.LOCAL_LEAD)
def roster_issues_csv(slug: str, import_id: int) -> Any:
    _, roster_import = _load_import(slug, import_id)
    rows = db.session.scalars(
        select(RosterImportIssue)
        .where(RosterImportIssue.import_id == roster_import.id, RosterImportIssue.refused)
        .order_by(RosterImportIssue.line)
    )
    return Response(
        imports.issues_csv(rows, lang=_lead_language()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="roster-import-{import_id}-errors.csv"'
        },
    )
