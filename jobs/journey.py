"""The weekly journey email: a thin entry point the scheduler runs every hour per region.

The job acts only from the region's send time (``app.journey.services.due_week``), then
queues the week's emails in keyset batches, committing each: a retry or a second tick
resumes where the last committed batch ended, and ``JourneySend``'s unique key (one row
per enrollment and week) sends nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from app.db import utcnow
from app.extensions import db
from app.journey.content import WeekContent
from app.journey.services import BATCH, due_week, send_batch, send_time
from app.regions.models import Region
from jobs.runtime import job_context, report_progress


def send_weekly(region_id: int, slot_iso: str | None = None) -> int:
    """Queue this week's journey emails of one region when they are due; returns how many."""
    with job_context():
        region = db.session.get(Region, region_id)
        if region is None:
            return 0
        now = datetime.fromisoformat(slot_iso) if slot_iso else utcnow()
        week = due_week(region, now)
        if week is None:
            return 0
        after, queued = 0, 0
        # one WeekContent for the run: each shape of the email is rendered once
        week_content = WeekContent(region=region, week=week, now=send_time(region, week))
        while True:
            result = send_batch(
                region=region, week=week, after=after, limit=BATCH, week_content=week_content
            )
            db.session.commit()
            queued += result.queued
            report_progress(queued)
            if result.selected < BATCH:
                return queued
            after = result.last_id
