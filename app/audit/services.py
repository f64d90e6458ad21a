"""Recording decisions in the audit trail."""

from __future__ import annotations

import logging
from typing import Any

from app.audit.models import AuditEvent
from app.extensions import db

log = logging.getLogger(__name__)


def record(
    *,
    region_id: int | None,
    action: str,
    obj: Any = None,
    object_type: str | None = None,
    object_id: int | None = None,
    actor: Any = None,
    channel: str,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event for a decision (flushes nothing: the caller's transaction owns it).

    ``actor`` is a StaffUser, a Person (acting through a signed link) or None (the system).
    """
    from app.auth.models import StaffUser
    from app.people.models import Person

    if isinstance(actor, StaffUser):
        actor_type, actor_id, label = "staff", actor.id, actor.name
    elif isinstance(actor, Person):
        actor_type, actor_id, label = "person", actor.id, actor.name
    else:
        actor_type, actor_id, label = "system", None, "Summit"
    event = AuditEvent(
        region_id=region_id,
        actor_type=actor_type,
        actor_id=actor_id,
        actor_label=label,
        action=action,
        object_type=object_type or (type(obj).__tablename__ if obj is not None else "none"),
        object_id=object_id if object_id is not None else getattr(obj, "id", None),
        channel=channel,
        data=data or {},
    )
    db.session.add(event)
    log.info(
        "audit %s by %s:%s on %s:%s via %s",
        action,
        actor_type,
        actor_id,
        event.object_type,
        event.object_id,
        channel,
    )
    return event
