"""The weekly journey email: a thin entry point the scheduler runs every hour per region.

The job acts only from the region's send time (``app.journey.services.due_week``). A region
of up to :data:`RANGE` enrollments is queued by this job itself; a larger one is cut into
ranges of :data:`RANGE` enrollment ids (``range_bounds``), each queued by a job of its own
(:func:`send_range`) that any worker takes: a million learners are not one job on one
worker. Each range is queued in keyset batches, committing each: a retry or a second tick
resumes where the last committed batch ended, and ``JourneySend``'s unique key (one row per
enrollment and week, claimed ``ON CONFLICT DO NOTHING``) sends nothing twice, whichever
workers run the same range at once (the outbox's idempotency key holds it a second time).
"""

from __future__ import annotations

from datetime import datetime

from rq import Retry

from app.db import utcnow
from app.extensions import db
from app.journey.content import WeekContent
from app.journey.services import (
    BATCH,
    due_week,
    has_recipients,
    range_bounds,
    send_batch,
    send_time,
)
from app.regions.models import Region
from app.tasks import enqueue_after_commit
from jobs.runtime import job_context, report_progress

#: enrollments a job queues at most: a larger region is cut into ranges, a job each
RANGE = 10_000
#: RQ retries a range this often, with these waits (seconds), as a recurring job
RANGE_RETRY_INTERVALS = [60, 300, 900]


def send_weekly(region_id: int, slot_iso: str | None = None, *, range_size: int = RANGE) -> int:
    """Queue this week's journey emails of one region when they are due; returns how many
    this job queued (0 where it handed the region's ranges of ``range_size`` enrollments to
    :func:`send_range` jobs)."""
    with job_context():
        region = db.session.get(Region, region_id)
        if region is None:
            return 0
        now = datetime.fromisoformat(slot_iso) if slot_iso else utcnow()
        week = due_week(region, now)
        if week is None or not has_recipients(region.id, week):
            return 0
        bounds = range_bounds(region.id, range_size)
        if not bounds:
            return _send(region, week, after=0, upto=None)
        for after, upto in zip([0, *bounds], [*bounds, None], strict=True):
            enqueue_after_commit(
                "jobs.journey.send_range",
                region.id,
                week,
                after,
                upto,
                # one job per range and week: the next tick queues the same ids again
                job_id=f"journey-range-{region.id}-{week}-{after}",
                job_timeout=1800,
                retry=Retry(max=len(RANGE_RETRY_INTERVALS), interval=RANGE_RETRY_INTERVALS),
            )
        return 0


def send_range(region_id: int, week: str, after: int, upto: int | None) -> int:
    """Queue ``week``'s journey emails of the enrollments ``(after, upto]`` of one region
    (``upto`` None: to the end); returns how many."""
    with job_context():
        region = db.session.get(Region, region_id)
        if region is None:
            return 0
        return _send(region, week, after=after, upto=upto)


def _send(region: Region, week: str, *, after: int, upto: int | None) -> int:
    queued = 0
    # one WeekContent for the run: each shape of the email is rendered once
    week_content = WeekContent(region=region, week=week, now=send_time(region, week))
    while True:
        result = send_batch(
            region=region, week=week, after=after, upto=upto, week_content=week_content
        )
        db.session.commit()
        queued += result.queued
        report_progress(queued)
        if result.selected < BATCH:
            return queued
        after = result.last_id
