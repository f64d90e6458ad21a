"""Recording decisions in the audit trail."""

from __future__ import annotations

import logging
from typing import Any

from app.audit.models import AuditEvent
from app.extensions import db

log = logging.getLogger(__name__)

#: who acts, by the actor row's table: staff (``StaffUser``, signed in) or a person (a
#: ``Person`` acting through a signed link); anything else is the system. By table name, so
#: the audit trail needs nothing of the packages above it (auth uses it).
_ACTOR_TYPES = {"staff_user": "staff", "person": "person"}


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
    actor_type = _ACTOR_TYPES.get(getattr(actor, "__tablename__", None), "system")
    if actor_type == "system":
        actor_id, label = None, "Summit"
    else:
        actor_id, label = actor.id, actor.name
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
