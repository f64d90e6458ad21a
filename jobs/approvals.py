"""Approval jobs: one per region, so a region fails and retries alone.

The scheduler calls them as ``func(region_id, slot_iso)``; ``slot_iso`` (the slot's
start, aware UTC) pins a retried reminder run to its day.
"""

from __future__ import annotations

from datetime import datetime

from app.approvals.digests import send_due_requests
from app.approvals.reminders import send_due_reminders
from app.db import utcnow
from app.extensions import db
from app.regions.models import Region
from jobs.runtime import job_context


def send_requests(region_id: int, slot_iso: str | None = None) -> int:
    """Hourly: email managers about reports who committed since their last request."""

    with job_context():
        region = db.session.get(Region, region_id)
        if region is None:
            return 0
        return send_due_requests(region=region, now=utcnow())


def send_reminders(region_id: int, slot_iso: str | None = None) -> int:
    """Daily at 09:00 region time: remind on the region's cadence, escalate to the lead."""

    with job_context():
        region = db.session.get(Region, region_id)
        if region is None:
            return 0
        now = datetime.fromisoformat(slot_iso) if slot_iso else utcnow()
        run = send_due_reminders(region=region, now=now)
        return run.reminded + run.escalated
