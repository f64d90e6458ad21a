"""Operations pages for global admins: queues, failed jobs (retry), the outbox backlog."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from rq.exceptions import InvalidJobOperationError, NoSuchJobError
from rq.job import Job

from app.audit.services import record
from app.auth.access import current_staff, require_role
from app.auth.models import Role
from app.extensions import db
from app.mail.models import EmailStatus, OutboundEmail
from app.mail.queries import backlog
from app.mail.services import retry_failed
from app.ops.queries import failed_jobs, queue_states, recent_runs
from app.ops.recovery import failed_imports, retry_import
from app.tasks import get_redis

bp = Blueprint("ops", __name__, url_prefix="/ops")


@bp.get("/")
@require_role(Role.GLOBAL_ADMIN)
def overview() -> Any:
    queues, workers = queue_states()
    failed_emails = db.session.scalars(
        db.select(OutboundEmail)
        .where(OutboundEmail.status == EmailStatus.FAILED)
        .order_by(OutboundEmail.id.desc())
        .limit(50)
    ).all()
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
    """Put one failed job back on its queue (RQ's FailedJobRegistry.requeue)."""

    connection = get_redis()
    try:
        job = Job.fetch(job_id, connection=connection)
        job.requeue()
    except (NoSuchJobError, InvalidJobOperationError):
        abort(404)
    record(
        region_id=None,
        action="job.retried",
        object_type="rq_job",
        actor=current_staff(),
        channel="web",
        data={"job_id": job_id, "func": job.func_name},
    )
    db.session.commit()
    flash(f"Job {job.func_name} is queued again.", "success")
    return redirect(url_for("ops.failed"))


@bp.post("/mail/retry")
@require_role(Role.GLOBAL_ADMIN)
def retry_emails() -> Any:
    """Send failed emails again (all listed, or the ones ticked)."""
    ids = [int(i) for i in request.form.getlist("email_id") if i.isdigit()]
    count = retry_failed(email_ids=ids)
    record(
        region_id=None,
        action="mail.retried",
        object_type="outbound_email",
        actor=current_staff(),
        channel="web",
        data={"email_ids": ids[:100], "count": count},
    )
    db.session.commit()
    flash(f"{count} email(s) will be sent again.", "success")
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
    db.session.commit()
    flash(f"The {kind} import {import_id} is queued again.", "success")
    return redirect(url_for("ops.overview"))
