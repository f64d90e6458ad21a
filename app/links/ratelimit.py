"""A small sliding-window rate limiter in Redis for the public token endpoints.

A fixed window lets a client spend its budget at the end of one window and again at the
start of the next: twice the limit in a second. So the count of the window before is
weighed by how much of it still falls in the last ``window_seconds`` (the two-counter
sliding window): the estimate never lets more than ``limit`` hits through in any span of
``window_seconds`` when the hits come together, and it costs one round trip.
"""

from __future__ import annotations

import logging
import time

from redis.exceptions import RedisError

from app.tasks import get_redis, jobs_run_inline

log = logging.getLogger(__name__)


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit on ``key``; False once more than ``limit`` hits fall in the last
    ``window_seconds`` (estimated from this window's count and the one before).

    Without Redis (jobs inline, a demo) every hit is allowed: the limiter
    protects production, it must not take a page down.
    """

    if jobs_run_inline():
        return True
    now = time.time()
    window, into = divmod(now, window_seconds)
    name = f"summit:ratelimit:{key}:{int(window)}"
    before = f"summit:ratelimit:{key}:{int(window) - 1}"
    try:
        pipe = get_redis().pipeline()
        pipe.incr(name)
        pipe.expire(name, window_seconds * 2)
        pipe.get(before)
        hits, _, earlier = pipe.execute()
    except (RedisError, OSError):
        log.warning("rate limiter unavailable; allowing %s", key)
        return True
    still_in_view = 1.0 - into / window_seconds
    return int(hits) + int(earlier or 0) * still_in_view <= limit
