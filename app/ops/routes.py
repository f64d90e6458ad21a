"""Operations pages for global admins: queues, failed jobs (retry), the outbox backlog."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from app.audit.services import record
from app.auth.access import current_staff, require_role
from app.auth.models import Role
from app.language import _, ngettext
from app.mail.queries import backlog, failed_outbox
from app.mail.services import retry_failed
from app.ops.forms import RetryEmailsForm
from app.ops.queries import failed_jobs, queue_states, recent_runs
from app.ops.recovery import failed_imports, retry_import
from app.tasks import requeue_failed_job

bp = Blueprint("ops", __name__, url_prefix="/ops")


@bp.get("/")
@require_role(Role.GLOBAL_ADMIN)
def overview() -> Any:
    queues, workers = queue_states()
    failed_emails = failed_outbox(limit=50)
    return render_template(
        "ops/overview.html",
        queues=queues,
        workers=workers,
        backlog=backlog(),
        runs=recent_runs(),
        failed_emails=failed_emails,
        failed_imports=failed_imports(),
    )


@bp.get("/jobs/failed")
@require_role(Role.GLOBAL_ADMIN)
def failed() -> Any:
    return render_template("ops/failed_jobs.html", jobs=failed_jobs())


@bp.post("/jobs/<job_id>/retry")
@require_role(Role.GLOBAL_ADMIN)
def retry_job(job_id: str) -> Any:
    """Put one failed job back on its queue."""
    func_name = requeue_failed_job(job_id)
    if func_name is None:
        abort(404)
    record(
        region_id=None,
        action="job.retried",
        object_type="rq_job",
        actor=current_staff(),
        channel="web",
        data={"job_id": job_id, "func": func_name},
    )
    flash(_("Job %(job)s is queued again.", job=func_name), "success")
    return redirect(url_for("ops.failed"))


@bp.post("/mail/retry")
@require_role(Role.GLOBAL_ADMIN)
def retry_emails() -> Any:
    """Send failed emails again (all listed, or the ones ticked)."""
    ids = sorted(RetryEmailsForm().email_id.data)
    count = retry_failed(email_ids=ids)
    record(
        region_id=None,
        action="mail.retried",
        object_type="outbound_email",
        actor=current_staff(),
        channel="web",
        data={"email_ids": ids[:100], "count": count},
    )
    flash(
        ngettext("%(num)s email will be sent again.", "%(num)s emails will be sent again.", count),
        "success",
    )
    return redirect(url_for("ops.overview"))


@bp.post("/imports/<any(progress, roster):kind>/<int:import_id>/retry")
@require_role(Role.GLOBAL_ADMIN)
def retry_failed_import(kind: str, import_id: int) -> Any:
    """Queue a failed import again (its uploaded file is still there)."""
    if not retry_import(kind=kind, import_id=import_id):
        abort(404)
    record(
        region_id=None,
        action="import.retried",
        object_type=f"{kind}_import",
        actor=current_staff(),
        channel="web",
        data={"import_id": import_id},
    )
    flash(
        _("The roster import %(id)s is queued again.", id=import_id)
        if kind == "roster"
        else _("The progress import %(id)s is queued again.", id=import_id),
        "success",
    )
    return redirect(url_for("ops.overview"))
