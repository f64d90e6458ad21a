"""Weekly sponsor report jobs (idempotent: a second run sends nothing).

The scheduler's tick calls :func:`enqueue_due_reports` (every few minutes); it puts
one job per due report on the "reports" queue, with a deterministic id, so a region
fails and retries alone. ``Report`` (unique per scope, region and week) and the outbox
keys are the final guard against sending twice.
"""

from __future__ import annotations

from rq import Retry

from app.db import utcnow
from app.reports.services import build_week, due_reports, send_due
from app.tasks import PendingJob, enqueue_now
from jobs.runtime import job_context


def enqueue_due_reports(slot_iso: str | None = None) -> int:
    """Queue a :func:`send_report` job for every report due now; returns how many."""

    with job_context():
        due = due_reports(now=utcnow())
        for item in due:
            enqueue_now(
                PendingJob(
                    func="jobs.reports.send_report",
                    args=(item.scope, item.region_id, item.week),
                    queue="reports",
                    job_id=f"report-{item.scope}-{item.region_id or 'all'}-{item.week}",
                    options={"job_timeout": 900, "retry": Retry(max=3, interval=[60, 300, 900])},
                )
            )
        return len(due)


def send_report(scope: str, region_id: int | None, week: str) -> int:
    """Build and send one report (a region's, or the global one); returns emails queued."""

    with job_context():
        result = build_week(
            week=week,
            send=True,
            region_ids=[region_id] if region_id is not None else [],
            include_global=scope == "global",
        )
        return sum(r.recipients for r in result.sent)


def send_due_reports() -> int:
    """Build and send every report due now in this process; returns how many."""

    with job_context():
        return len(send_due(now=utcnow()))


def build_report_week(week: str, send: bool = False) -> int:
    """Build (and optionally send) every report of ``week``; returns how many reports."""

    with job_context():
        return len(build_week(week=week, send=send).reports)


def build_region_report(region_id: int, week: str) -> int:
    """Build (never send) one region's snapshot of ``week``, as asked from its archive page."""

    with job_context():
        return len(build_week(week=week, region_ids=[region_id], include_global=False).reports)
