"""Term jobs, one per region (the scheduler enqueues them; see app/terms/services.py)."""

from __future__ import annotations

import logging

from app.extensions import db
from app.regions.models import Region
from app.terms.services import due_at_risk_nudges, due_buddy_signoffs, due_term_closes
from jobs.runtime import job_context

log = logging.getLogger(__name__)


def _region(region_id: int):  # type: ignore[no-untyped-def]

    region = db.session.get(Region, region_id)
    if region is None:
        raise LookupError(f"region {region_id} not found")
    return region


def nudge_at_risk(region_id: int, slot_iso: str | None = None) -> int:
    """Daily, 09:00 region time: nudge learners behind pace (queue ``default``)."""

    with job_context():
        return due_at_risk_nudges(region=_region(region_id))


def request_buddy_signoffs(region_id: int, slot_iso: str | None = None) -> int:
    """Daily, 09:00 region time: ask buddies to confirm ended terms (queue ``default``)."""

    with job_context():
        return due_buddy_signoffs(region=_region(region_id))


def close_due_terms(region_id: int, slot_iso: str | None = None) -> int:
    """Daily, 06:00 region time: close terms past their grace period (queue ``reports``)."""

    with job_context():
        results = due_term_closes(region=_region(region_id))
        for result in results:
            log.info("region %s: term closed, %s candidates", region_id, result.candidates)
        return len(results)
