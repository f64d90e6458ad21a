"""Mail jobs."""

from __future__ import annotations

from jobs.runtime import job_context


def deliver_pending() -> int:
    """Deliver pending outbox rows (the transports arrive with the mail backbone)."""
    from app.mail.delivery import deliver_pending as deliver

    with job_context():
        return deliver()
