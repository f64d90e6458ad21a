"""Who may do what in a rollout's workspace. Who may see learners' names is one rule for
every page, :func:`app.auth.access.may_see_names`."""

from __future__ import annotations

from flask import g

from app.auth.models import Role

#: the staff who run a rollout: create, edit, launch, close, import, pair
EDITORS = (Role.LOCAL_LEAD,)


def may_edit() -> bool:
    """Whether this request may change the URL's region's rollouts (its local leads and the
    global admins)."""
    roles = g.get("region_roles") or set()
    return bool(roles & {Role.GLOBAL_ADMIN, *EDITORS})
