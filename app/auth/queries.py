"""Who holds a staff role where: the read side of the staff directory.

"The local leads" of a region (and so of each of its rollouts) are the *active* staff
members with the local-lead role there: a deactivated account is neither told about
stuck requests nor listed as a lead on the dashboard or the rollout form.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Select, select

from app.auth.models import Role, RoleAssignment, StaffUser
from app.extensions import db


class StaffName(NamedTuple):
    id: int
    name: str


def _with_role(region_id: int, role: Role, *columns: Any) -> Select[Any]:
    return (
        select(*(columns or (StaffUser,)))
        .join(RoleAssignment, RoleAssignment.user_id == StaffUser.id)
        .where(
            RoleAssignment.region_id == region_id,
            RoleAssignment.role == role,
            StaffUser.active.is_(True),
        )
        .order_by(StaffUser.name, StaffUser.id)
        .distinct()
    )


def local_leads(region_id: int) -> list[StaffUser]:
    """The region's active local leads, by name."""
    return list(db.session.scalars(_with_role(region_id, Role.LOCAL_LEAD)).unique())


def local_lead_names(region_id: int) -> tuple[StaffName, ...]:
    """The region's active local leads as plain (id, name) pairs, by name."""
    rows = db.session.execute(
        _with_role(region_id, Role.LOCAL_LEAD, StaffUser.id, StaffUser.name)
    ).all()
    return tuple(StaffName(row.id, row.name) for row in rows)
