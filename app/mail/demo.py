"""Demo: one test email per region's local lead, in the region's language and zone,
so the dev mailbox shows how email looks before any capability sends its own."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from app.auth.models import Role
from app.links.services import absolute_url
from app.mail.services import queue_email


def seed(ctx: Any) -> None:
    """Queue the test emails (idempotent: the same key twice is one email)."""

    for code, region in sorted(ctx.regions.items()):
        lead = next(
            (
                user
                for user in ctx.staff.values()
                if any(r.role is Role.LOCAL_LEAD and r.region_id == region.id for r in user.roles)
            ),
            None,
        )
        if lead is None:
            continue
        queue_email(
            kind="mail/test",
            to_address=lead.email,
            to_name=lead.name,
            idempotency_key=f"demo:mail-test:{code}",
            context={
                "name": lead.name,
                "sent_at": datetime.combine(ctx.today, time(9, 0), tzinfo=UTC),
                "url": absolute_url("web.region_overview", region=code),
            },
            region_id=region.id,
        )
