"""A small fixed-window rate limiter in Redis for the public token endpoints."""

from __future__ import annotations

import logging
import time

from redis.exceptions import RedisError

from app.tasks import get_redis, jobs_run_inline

log = logging.getLogger(__name__)


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit on ``key``; False once more than ``limit`` hits fall in the window.

    Without Redis (jobs inline, a demo) every hit is allowed: the limiter
    protects production, it must not take a page down.
    """

    if jobs_run_inline():
        return True
    window = int(time.time() // window_seconds)
    name = f"summit:ratelimit:{key}:{window}"
    try:
        pipe = get_redis().pipeline()
        pipe.incr(name)
        pipe.expire(name, window_seconds * 2)
        hits, _ = pipe.execute()
    except (RedisError, OSError):
        log.warning("rate limiter unavailable; allowing %s", key)
        return True
    return int(hits) <= limit
