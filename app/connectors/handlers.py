"""Signal receivers: a connector's last successful sync counts as the rollout's progress data."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from app.connectors.queries import sync_freshness
from app.progress.queries import Freshness
from app.progress.signals import freshness_wanted


def connect() -> None:
    """Connect the receivers below (the factory calls this)."""
    freshness_wanted.connect(_sync_freshness)


def _sync_freshness(
    sender: Any, *, rollout_ids: Collection[int], **_: Any
) -> list[tuple[int, Freshness]]:
    return sync_freshness(rollout_ids)
