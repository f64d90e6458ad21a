"""Who may do what with master classes (the staff pages); learners act through signed links."""

from __future__ import annotations

from flask import g

from app.auth.access import current_staff
from app.auth.models import Role
from app.masterclasses.models import MasterClass

#: the staff who record who attended
RECORDERS = (Role.LOCAL_LEAD, Role.EXPERT, Role.HR_PARTNER)


def may_edit(master_class: MasterClass | None) -> bool:
    """A class of the URL's region (or a new one): its local leads; a global class: only the
    global admins, whose classes they are."""
    user = current_staff()
    if user is None:
        return False
    if user.is_global_admin:
        return True
    if master_class is not None and master_class.region_id is None:
        return False
    return Role.LOCAL_LEAD in user.roles_in(g.region.id)


def may_make_global() -> bool:
    user = current_staff()
    return bool(user and user.is_global_admin)


def may_invite() -> bool:
    return bool(g.region_roles & {Role.LOCAL_LEAD, Role.GLOBAL_ADMIN})


def may_record() -> bool:
    return bool(g.region_roles & {*RECORDERS, Role.GLOBAL_ADMIN})
