"""Read side of the outbox: the backlog, when it will be through, the dev mailbox."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, func, select

from app.db import utcnow
from app.extensions import db
from app.mail.budget import budget_for
from app.mail.models import EmailStatus, OutboundEmail
from app.mail.transports import get_transport, transport_name

_HREF = re.compile(r"""<a\b[^>]*\bhref\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


@dataclass(frozen=True)
class Backlog:
    due: int
    later: int
    failed: int
    sent_last_day: int
    next_attempt_at: datetime | None
    per_minute: int
    per_day: int
    used_minute: int
    used_day: int
    #: when the current backlog will be through at the sending budget (None: no cap)
    through_at: datetime | None

    @property
    def pending(self) -> int:
        return self.due + self.later


def backlog(now: datetime | None = None) -> Backlog:
    """The outbox in four counts (one query) and the budget's estimate of when it drains."""
    now = now or utcnow()
    pending = OutboundEmail.status == EmailStatus.PENDING
    row = db.session.execute(
        select(
            func.count().filter(pending, OutboundEmail.next_attempt_at <= now),
            func.count().filter(pending, OutboundEmail.next_attempt_at > now),
            func.count().filter(OutboundEmail.status == EmailStatus.FAILED),
            func.count().filter(
                OutboundEmail.status == EmailStatus.SENT,
                OutboundEmail.sent_at >= now - timedelta(days=1),
            ),
            func.min(case((pending, OutboundEmail.next_attempt_at))),
        ).select_from(OutboundEmail)
    ).one()
    settings = current_app.extensions["summit.settings"]
    budget = budget_for(transport_name(get_transport(settings)))
    used_minute, used_day = budget.used(now.timestamp())
    due, later, failed, sent_day, next_at = row
    return Backlog(
        due=due,
        later=later,
        failed=failed,
        sent_last_day=sent_day,
        next_attempt_at=next_at,
        per_minute=budget.per_minute,
        per_day=budget.per_day,
        used_minute=used_minute,
        used_day=used_day,
        through_at=through_at(due + later, now, budget.per_minute, budget.per_day, used_day),
    )


def through_at(
    pending: int, now: datetime, per_minute: int, per_day: int, used_day: int
) -> datetime | None:
    """When ``pending`` messages are sent at ``per_minute``/``per_day`` (None without a cap).

    The day cap counts UTC days, as the budget does.
    """
    if not pending:
        return now
    if not per_minute and not per_day:
        return None

    def minutes_for(count: int) -> timedelta:
        return timedelta(minutes=math.ceil(count / per_minute) if per_minute else 0)

    left_today = pending if not per_day else max(0, per_day - used_day)
    if pending <= left_today:
        return now + minutes_for(pending)
    full_days, last = divmod(pending - left_today, per_day)
    if last == 0:
        full_days, last = full_days - 1, per_day
    tomorrow = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return tomorrow + timedelta(days=full_days) + minutes_for(last)


def links_in(html: str) -> list[str]:
    """The link targets of an email's HTML, in order, without duplicates."""
    seen: dict[str, None] = {}
    for href in _HREF.findall(html):
        seen.setdefault(href.replace("&amp;", "&"), None)
    return list(seen)


def failed_outbox(*, limit: int) -> list[OutboundEmail]:
    """The latest emails that ended ``failed`` (the operations page lists them to retry)."""
    return list(
        db.session.scalars(
            select(OutboundEmail)
            .where(OutboundEmail.status == EmailStatus.FAILED)
            .order_by(OutboundEmail.id.desc())
            .limit(limit)
        )
    )
