"""Retention: erase personal data of rollouts closed longer than the region keeps it."""

from __future__ import annotations

from app.db import utcnow
from app.extensions import db
from app.privacy.services import erase_expired_rollouts
from app.regions.models import Region
from jobs.runtime import job_context


def erase_expired(region_id: int, slot_iso: str | None = None) -> int:

    with job_context():
        region = db.session.get(Region, region_id)
        return erase_expired_rollouts(region=region, now=utcnow()) if region else 0
