"""Call jobs: one per region, deterministic ids (see app/calls/services.py for what each does)."""

from __future__ import annotations

from jobs.runtime import job_context


def _run(name: str, region_id: int) -> int:
    from app.calls import services
    from app.db import utcnow
    from app.extensions import db
    from app.regions.models import Region

    with job_context():
        region = db.session.get(Region, region_id)
        if region is None:
            return 0
        return getattr(services, name)(region=region, now=utcnow())


def sync_invitations(region_id: int) -> int:
    """Invite learners who became active, withdraw those who left (hourly)."""
    return _run("sync_invitations", region_id)


def send_question_prompts(region_id: int) -> int:
    """Ask learners for their questions two business days ahead (hourly)."""
    return _run("send_question_prompts", region_id)


def send_agendas(region_id: int) -> int:
    """The hosts' agenda on the morning of a call (hourly; acts from 07:00 local)."""
    return _run("send_agendas", region_id)
