"""Approval jobs: one per region, so a region fails and retries alone."""

from __future__ import annotations

import logging

from jobs.runtime import job_context

log = logging.getLogger(__name__)


def send_requests(region_id: int) -> int:
    """Hourly: email managers about reports who committed since their last request."""
    from app.approvals.digests import send_due_requests
    from app.db import utcnow
    from app.extensions import db
    from app.regions.models import Region

    with job_context():
        region = db.session.get(Region, region_id)
        if region is None:
            return 0
        return send_due_requests(region=region, now=utcnow())


def send_reminders(region_id: int) -> int:
    """Daily at 09:00 region time: remind on the region's cadence, escalate to the lead."""
    from app.approvals.reminders import send_due_reminders
    from app.db import utcnow
    from app.extensions import db
    from app.regions.models import Region

    with job_context():
        region = db.session.get(Region, region_id)
        if region is None:
            return 0
        run = send_due_reminders(region=region, now=utcnow())
        return run.reminded + run.escalated
