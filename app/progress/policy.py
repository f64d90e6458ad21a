"""Who may do what with progress imports: the one place these rules live."""

from __future__ import annotations

from collections.abc import Collection

from app.auth.models import Role

#: may upload a rollout's progress files, and place a file's unmatched units on the
#: program's modules (the mapping is the program's: every region's imports use it)
IMPORTERS = frozenset({Role.LOCAL_LEAD, Role.GLOBAL_ADMIN})


def may_import(roles: Collection[Role]) -> bool:
    return bool(IMPORTERS & set(roles))


def may_map_units(roles: Collection[Role]) -> bool:
    return bool(IMPORTERS & set(roles))
