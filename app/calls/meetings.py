"""The join URL of a rollout's calls: the lead's fixed URL, or a Teams meeting.

With Microsoft Graph configured (Entra ID app credentials) and ``ENTRA_TEAMS_ORGANIZER``
set, a rollout whose calls have no join URL gets one Teams meeting for its whole
series (``POST /users/{organizer}/onlineMeetings``); its ``joinWebUrl`` is stored as
the rollout's join URL, so every session, invitation and change carries it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

import requests
from flask import current_app

from app.audit.services import record
from app.calls.planning import PlannedSession
from app.microsoft.graph import GraphError, create_online_meeting, teams_configured
from app.rollouts.models import Rollout

log = logging.getLogger(__name__)


class MeetingUnavailable(RuntimeError):
    """Teams is configured but Graph did not create the meeting (nothing was changed)."""


def join_url_for(rollout: Rollout) -> str:
    """The rollout's join URL as it stands (fixed, or the Teams meeting created before)."""
    return rollout.call_join_url


def ensure_join_url(*, rollout: Rollout, planned: Sequence[PlannedSession], actor: object) -> str:
    """The rollout's join URL; when it has none and Teams is configured, create one Teams
    meeting from the first to the last ``planned`` call (a meeting link outlives its end
    date only for a while) and store its join URL on the rollout. Audits the creation.

    Raises MeetingUnavailable when Graph refuses or cannot be reached.
    """
    held = [p.starts_at for p in planned if not p.cancelled]
    if rollout.call_join_url or not held:
        return rollout.call_join_url
    settings = current_app.extensions["summit.settings"]
    if not teams_configured(settings):
        return ""
    try:
        url = create_online_meeting(
            settings=settings,
            subject=f"{rollout.program.title}: weekly expert call ({rollout.region.name})",
            start=min(held),
            end=max(held) + timedelta(minutes=rollout.call_duration_minutes),
        )
    except (GraphError, RuntimeError, KeyError, ValueError, requests.RequestException) as exc:
        log.warning("Teams meeting for rollout %s not created: %s", rollout.slug, exc)
        raise MeetingUnavailable(str(exc)) from exc
    if not url or not url.startswith("https://"):
        raise MeetingUnavailable("Graph answered without a join URL")
    rollout.call_join_url = url
    record(
        region_id=rollout.region_id,
        action="calls.teams_meeting_created",
        obj=rollout,
        actor=actor,
        channel="web" if actor else "system",
        data={"organizer": settings.entra_teams_organizer},
    )
    log.info("rollout %s: Teams meeting created for its calls", rollout.slug)
    return url
