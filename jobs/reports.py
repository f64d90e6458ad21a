"""Weekly sponsor report jobs (idempotent: a second run sends nothing)."""

from __future__ import annotations

from jobs.runtime import job_context


def send_due_reports() -> int:
    """Build and send every report due now (Monday 08:00 region-local); returns how many."""
    from app.db import utcnow
    from app.reports.services import send_due

    with job_context():
        return len(send_due(now=utcnow()))


def build_report_week(week: str, send: bool = False) -> int:
    """Build (and optionally send) every report of ``week``; returns how many reports."""
    from app.reports.services import build_week

    with job_context():
        return len(build_week(week=week, send=send).reports)
