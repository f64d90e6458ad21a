"""Which outbox rows are due, a batch of them leased to one delivery job, and the delivery
jobs queued for the backlog (now, at a given time, or by the scheduler's sweep)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app
from rq import Queue, Worker
from sqlalchemy import and_, func, or_, select, update

from app.db import utcnow
from app.extensions import db
from app.mail.models import EmailStatus, OutboundEmail
from app.mail.services import (
    DELIVERY_JOB,
    DELIVERY_PREFIX,
    new_delivery_job_id,
)
from app.tasks import PendingJob, enqueue_now, get_redis, jobs_run_inline


def due_now(now: datetime) -> object:
    return and_(
        OutboundEmail.status == EmailStatus.PENDING,
        OutboundEmail.next_attempt_at <= now,
        or_(OutboundEmail.lease_until.is_(None), OutboundEmail.lease_until < now),
    )


def due_count(now: datetime | None = None) -> int:
    """Rows that a delivery job could claim right now."""
    now = now or utcnow()
    return db.session.scalar(select(func.count()).select_from(OutboundEmail).where(due_now(now)))


def claim_batch(token: str, size: int, lease: timedelta) -> list[int]:
    """Lease up to ``size`` due rows to ``token`` and commit; returns their ids.

    PostgreSQL skips rows another job is claiming (SKIP LOCKED); SQLite runs one
    writer at a time, so the UPDATE … WHERE id IN (SELECT …) is atomic there. The
    candidates come from walking ``ix_outbound_email_status_next_id`` (stopping after
    ``size``); on PostgreSQL the UPDATE then finds them by primary key
    (``id = ANY(ARRAY(…))``: with ``IN (…)`` the planner joined against every due row).
    """
    now = utcnow()
    candidates = (
        select(OutboundEmail.id)
        .where(due_now(now))
        .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)
        .limit(size)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    if db.session.get_bind().dialect.name == "postgresql":
        chosen = OutboundEmail.id == func.any(func.array(candidates))
    else:
        chosen = OutboundEmail.id.in_(candidates)
    ids = sorted(
        db.session.scalars(
            update(OutboundEmail)
            .where(chosen, due_now(now))
            .values(lease_owner=token, lease_until=now + lease)
            .returning(OutboundEmail.id)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    return ids


def kick_delivery(due: int | None = None) -> int:
    """Make sure enough delivery jobs are queued for the backlog: one per idle mail
    worker, at most one per batch. Returns how many were enqueued."""
    if jobs_run_inline():
        enqueue_now(PendingJob(func=DELIVERY_JOB, args=(), queue="mail"))
        return 1
    connection = get_redis()
    queue = Queue("mail", connection=connection)
    settings = current_app.extensions["summit.settings"]
    due = due_count() if due is None else due
    if not due:
        return 0
    workers = max(1, Worker.count(queue=queue))
    wanted = min(workers, math.ceil(due / settings.mail_batch_size))
    queued = sum(1 for job_id in queue.get_job_ids() if job_id.startswith(DELIVERY_PREFIX))
    missing = max(0, wanted - queued)
    for _ in range(missing):
        queue.enqueue(DELIVERY_JOB, job_id=new_delivery_job_id(), job_timeout=600)
    return missing


def schedule_delivery_at(when: datetime) -> None:
    """A delivery job at ``when`` (needs a worker started with its scheduler, as
    ``summit worker`` is); the sweep is the safety net."""
    if jobs_run_inline():
        return
    queue = Queue("mail", connection=get_redis())
    job_id = f"{DELIVERY_PREFIX}at-{int(when.timestamp())}"
    queue.enqueue_at(when, DELIVERY_JOB, job_id=job_id, job_timeout=600)


def sweep(now: datetime | None = None) -> int:
    """Re-enqueue delivery for rows that are due: new, retry due, or whose lease
    expired because their worker died. Changes nothing in the database."""
    due = due_count(now)
    if due:
        kick_delivery(due)
    return due
