"""Read side of the outbox: the backlog, when it will be through, the dev mailbox."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import case, false, func, or_, select

from app.auth.models import EDITOR_ROLES
from app.db import utcnow
from app.extensions import db
from app.mail.budget import budget_for
from app.mail.models import EmailStatus, OutboundAttachment, OutboundEmail
from app.mail.transports import get_transport, transport_name
from app.regions.models import Region

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


def _visible_to(user: Any) -> Any:
    """Staff who run a region see its emails; a sponsor sees only the emails sent to them
    (other people's mail would tell them who was reminded, removed or invited). An email of
    no region (a global sponsor's report, a test email) is a global admin's to read."""
    stmt = select(OutboundEmail)
    if user is None:
        return stmt.where(false())
    if user.is_global_admin:
        return stmt
    running = {r.region_id for r in user.roles if r.role in EDITOR_ROLES and r.region_id}
    mine = func.lower(OutboundEmail.to_address) == user.email.lower()
    if not running:
        return stmt.where(mine)
    return stmt.where(or_(mine, OutboundEmail.region_id.in_(running)))


def visible_email(user: Any, email_id: int) -> OutboundEmail | None:
    """One email of the dev mailbox, if ``user`` may read it."""
    return db.session.scalars(_visible_to(user).where(OutboundEmail.id == email_id)).one_or_none()


def mailbox_page(
    user: Any, *, search: str, page: int, page_size: int
) -> tuple[list[OutboundEmail], int]:
    """One page of the emails ``user`` may read, newest first, matching ``search`` (in the
    recipient, the subject or the kind), and how many there are."""
    stmt = _visible_to(user)
    if search:
        like = f"%{search.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(OutboundEmail.to_address).like(like),
                func.lower(OutboundEmail.subject).like(like),
                OutboundEmail.kind.like(like),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    emails = db.session.scalars(
        stmt.order_by(OutboundEmail.id.desc()).limit(page_size).offset((page - 1) * page_size)
    ).all()
    return list(emails), total


def region_time_zones(emails: list[OutboundEmail]) -> dict[int, str]:
    """The time zone of each region these emails belong to (region id → IANA name): the
    mailbox shows an email's times as its region sees them."""
    ids = {e.region_id for e in emails if e.region_id is not None}
    if not ids:
        return {}
    return dict(
        db.session.execute(select(Region.id, Region.time_zone).where(Region.id.in_(ids))).all()
    )


def attachment_of(email_id: int, attachment_id: int) -> OutboundAttachment | None:
    att = db.session.get(OutboundAttachment, attachment_id)
    return att if att is not None and att.email_id == email_id else None
