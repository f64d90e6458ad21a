"""How far a roster job got, for the page that polls it: kept in Redis for a day, best
effort (no Redis, or jobs run inline: no bar)."""

from __future__ import annotations

import json
import logging
from typing import Any

from redis.exceptions import RedisError

from app.tasks import get_redis, jobs_run_inline

log = logging.getLogger(__name__)

PROGRESS_TTL = 24 * 3600


def progress_key(import_id: int) -> str:
    return f"summit:roster-import:{import_id}:progress"


def set_progress(import_id: int, phase: str, fraction: float) -> None:
    """Tell the polling page how far the job got (best effort: Redis may be away)."""
    if jobs_run_inline():
        return
    try:
        get_redis().set(
            progress_key(import_id),
            json.dumps({"phase": phase, "percent": round(100 * fraction)}),
            ex=PROGRESS_TTL,
        )
    except (RedisError, OSError):
        log.warning("roster import %s: progress not recorded (Redis unavailable)", import_id)


def read_progress(import_id: int) -> dict[str, Any] | None:
    if jobs_run_inline():
        return None
    try:
        raw = get_redis().get(progress_key(import_id))
    except (RedisError, OSError):
        return None
    return json.loads(raw) if raw else None
