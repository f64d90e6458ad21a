"""Call jobs: one per region, deterministic ids (see app/calls/services.py for what each does)."""

from __future__ import annotations

from app.calls import services
from app.calls.changes import send_change as send
from app.calls.invitations import send_pending_invitations
from app.calls.models import CallSession
from app.calls.questions import send_notes as send_session_notes
from app.db import utcnow
from app.extensions import db
from app.regions.models import Region
from app.rollouts.models import Rollout
from jobs.runtime import job_context


def _run(name: str, region_id: int) -> int:

    with job_context():
        region = db.session.get(Region, region_id)
        if region is None:
            return 0
        return getattr(services, name)(region=region, now=utcnow())


def sync_invitations(region_id: int, slot_iso: str | None = None) -> int:
    """Invite learners who became active, withdraw those who left (hourly)."""
    return _run("sync_invitations", region_id)


def send_question_prompts(region_id: int, slot_iso: str | None = None) -> int:
    """Ask learners for their questions two business days ahead (hourly)."""
    return _run("send_question_prompts", region_id)


def send_agendas(region_id: int, slot_iso: str | None = None) -> int:
    """The hosts' agenda on the morning of a call (hourly; acts from 07:00 local)."""
    return _run("send_agendas", region_id)


def send_invitations(rollout_id: int) -> int:
    """Send the series invitation to invitees not yet notified (after generate/sync)."""

    with job_context():
        rollout = db.session.get(Rollout, rollout_id)
        return 0 if rollout is None else send_pending_invitations(rollout=rollout)


def send_change(
    rollout_id: int, changed_ids: list[int], cancelled_ids: list[int], note: str
) -> int:
    """Send the series again to every invitee after sessions moved, changed or were cancelled."""

    with job_context():
        rollout = db.session.get(Rollout, rollout_id)
        if rollout is None:
            return 0
        return send(
            rollout=rollout, changed_ids=changed_ids, cancelled_ids=cancelled_ids, note=note
        )


def send_notes(session_id: int) -> int:
    """Send a call's notes and answered questions to every invitee."""
    with job_context():
        session = db.session.get(CallSession, session_id)
        return 0 if session is None else send_session_notes(session=session)
