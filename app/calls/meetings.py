"""The join URL of a rollout's calls: a fixed URL, or a meeting another module creates.

Seam for the optional Teams helper (Microsoft Graph ``onlineMeetings``): set
``join_url_provider`` at start-up to a function ``(rollout) -> URL | None``.
"""

from __future__ import annotations

from collections.abc import Callable

from app.rollouts.models import Rollout

#: ``(rollout) -> join URL``; None (or an empty answer) uses the rollout's fixed URL
join_url_provider: Callable[[Rollout], str | None] | None = None


def join_url_for(rollout: Rollout) -> str:
    """The rollout's join URL: a Teams meeting when a provider is set, else the fixed one."""
    if join_url_provider is not None:
        url = join_url_provider(rollout)
        if url:
            return url
    return rollout.call_join_url
