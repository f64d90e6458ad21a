"""The sending budget: how many messages a transport may send per minute and per day.

Corporate relays cap each sending mailbox (Exchange Online: 30 messages a minute,
10,000 recipients a day). The budget is counted in Redis so every worker shares
it; when it is spent nothing is dropped: the delivery job puts the rest of its
batch back with ``next_attempt_at`` at the start of the next window.
Windows are fixed (the UTC minute, the UTC day), a little stricter than a
rolling day.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from redis import Redis

from app.tasks import get_redis, jobs_run_inline


@dataclass
class SendingBudget:
    redis: Redis | None
    #: the transport's name: one budget per sending mailbox
    key: str
    per_minute: int = 0
    per_day: int = 0

    @property
    def limited(self) -> bool:
        return bool(self.redis is not None and (self.per_minute or self.per_day))

    def _keys(self, now: float) -> tuple[str, str, int, int]:
        minute, day = int(now // 60), int(now // 86400)
        return (
            f"summit:mail:budget:{self.key}:m:{minute}",
            f"summit:mail:budget:{self.key}:d:{day}",
            minute,
            day,
        )

    def take(self, now: float | None = None) -> datetime | None:
        """Spend one message; None if allowed, else the instant the budget has room again."""
        if not self.limited:
            return None
        assert self.redis is not None
        now = time.time() if now is None else now
        m_key, d_key, minute, day = self._keys(now)
        pipe = self.redis.pipeline()
        pipe.incr(m_key)
        pipe.expire(m_key, 120)
        pipe.incr(d_key)
        pipe.expire(d_key, 2 * 86400)
        used_minute, _, used_day, _ = pipe.execute()
        refused_until: float | None = None
        if self.per_day and used_day > self.per_day:
            refused_until = (day + 1) * 86400
        elif self.per_minute and used_minute > self.per_minute:
            refused_until = (minute + 1) * 60
        if refused_until is None:
            return None
        pipe = self.redis.pipeline()
        pipe.decr(m_key)
        pipe.decr(d_key)
        pipe.execute()
        return datetime.fromtimestamp(refused_until, UTC)

    def used(self, now: float | None = None) -> tuple[int, int]:
        """Messages sent in the current minute and day."""
        if self.redis is None:
            return 0, 0
        m_key, d_key, _, _ = self._keys(time.time() if now is None else now)
        minute, day = self.redis.mget([m_key, d_key])
        return int(minute or 0), int(day or 0)


def budget_for(transport_name: str) -> SendingBudget:
    """The app's budget for one transport (no Redis needed when there is no cap)."""

    settings = current_app.extensions["summit.settings"]
    redis = None
    if settings.mail_rate_per_minute or settings.mail_rate_per_day:
        redis = None if jobs_run_inline() else get_redis()
    return SendingBudget(
        redis=redis,
        key=transport_name,
        per_minute=settings.mail_rate_per_minute,
        per_day=settings.mail_rate_per_day,
    )
