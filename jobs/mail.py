"""Mail jobs: deliver the outbox, sweep for rows whose delivery was interrupted."""

from __future__ import annotations

from app.mail.delivery import deliver_pending as deliver
from app.mail.delivery import sweep as sweep_outbox
from jobs.runtime import job_context


def deliver_pending() -> int:
    """Deliver due outbox rows in leased batches (idempotent: sent rows are never due)."""

    with job_context():
        return deliver()


def sweep() -> int:
    """Re-enqueue delivery for due rows (new, retry due, lease expired)."""

    with job_context():
        return sweep_outbox()
