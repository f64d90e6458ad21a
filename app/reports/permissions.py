"""Who may read and build the weekly reports (staff); sponsors manage their subscription
through a signed link."""

from __future__ import annotations

from flask import g

from app.auth.access import current_staff
from app.auth.models import Role
from app.reports.services import is_global_reader

#: who reads a region's archive
READERS = (Role.SPONSOR, Role.LOCAL_LEAD, Role.EXPERT, Role.HR_PARTNER)
#: who may build last week's report now
BUILDERS = (Role.LOCAL_LEAD,)


def may_build() -> bool:
    return bool((g.get("region_roles") or set()) & {*BUILDERS, Role.GLOBAL_ADMIN})


def may_read_global() -> bool:
    """The global archive: global admins and global sponsors."""
    return is_global_reader(current_staff())
