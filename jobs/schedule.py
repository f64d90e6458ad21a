"""The recurring jobs, declared in one place."""

from __future__ import annotations

import logging

from jobs.runtime import job_context

log = logging.getLogger(__name__)


def tick() -> None:
    """Decide from the database what is due now and enqueue it."""
    with job_context():
        from app.mail.services import DELIVERY_JOB
        from app.tasks import PendingJob, enqueue_now

        enqueue_now(PendingJob(func=DELIVERY_JOB, args=(), queue="mail"))
