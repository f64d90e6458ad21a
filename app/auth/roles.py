"""Which Summit roles an Entra ID sign-in carries: app roles and group ids, mapped per region.

The mapping lives with each region, in its file (``regions/<code>.toml``)::

    [entra]
    local_lead = ["Summit.LocalLead.DE"]             # app role values ...
    expert     = ["Summit.Expert.DE", "5f0c...-guid"] # ... or group object ids
    hr_partner = ["Summit.HRPartner.DE"]
    sponsor    = ["Summit.Sponsor.DE"]
    directory_values = ["DE", "Germany"]              # directory import: region attribute values

The global admin role covers every region, so it comes from the deployment
setting ``ENTRA_ADMIN_ROLES`` (default ``Summit.GlobalAdmin``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.regions.models import Region
from app.settings import Settings

REGION_ROLES = (Role.LOCAL_LEAD, Role.EXPERT, Role.HR_PARTNER, Role.SPONSOR)
OTHER_KEYS = {"directory_values"}


@dataclass(frozen=True)
class RoleRule:
    """One line of the mapping: holding ``claim`` grants ``role`` in ``region`` (None: all)."""

    claim: str
    role: Role
    region_id: int | None
    region_name: str


@dataclass
class RoleMapping:
    rules: list[RoleRule]
    #: entries that were ignored, each saying which file and why (shown to admins)
    problems: list[str]

    def grants(self, claim_values: Iterable[str]) -> set[tuple[int | None, Role]]:
        """The (region id, role) pairs the given app roles / group ids grant."""
        held = set(claim_values)
        return {(r.region_id, r.role) for r in self.rules if r.claim in held}


def role_mapping(*, settings: Settings, regions: list[Region] | None = None) -> RoleMapping:
    """Read the mapping from the synced regions and the admin setting; never raises."""
    rules = [
        RoleRule(claim=value, role=Role.GLOBAL_ADMIN, region_id=None, region_name="every region")
        for value in settings.entra_admin_roles
    ]
    problems: list[str] = []
    if regions is None:
        regions = list(db.session.scalars(select(Region).order_by(Region.code)))
    for region in regions:
        section = (region.settings or {}).get("entra") or {}
        if not isinstance(section, dict):
            problems.append(f"{region.code}.toml: [entra] must be a table")
            continue
        for key, values in section.items():
            if key in OTHER_KEYS:
                continue
            try:
                role = Role(key)
            except ValueError:
                problems.append(
                    f"{region.code}.toml: entra.{key}: not a role "
                    f"(use {', '.join(r.value for r in REGION_ROLES)})"
                )
                continue
            if role not in REGION_ROLES:
                problems.append(
                    f"{region.code}.toml: entra.{key}: set global admins with ENTRA_ADMIN_ROLES"
                )
                continue
            if isinstance(values, str):
                values = [values]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                problems.append(f"{region.code}.toml: entra.{key}: must be a list of strings")
                continue
            rules.extend(
                RoleRule(claim=v.strip(), role=role, region_id=region.id, region_name=region.name)
                for v in values
                if v.strip()
            )
    return RoleMapping(rules=rules, problems=problems)


def claim_values(claims: dict[str, Any]) -> list[str]:
    """App role values and group ids carried by an ID token."""
    values: list[str] = []
    for name in ("roles", "groups"):
        found = claims.get(name) or []
        if isinstance(found, list):
            values.extend(str(v) for v in found)
    return values


def directory_values(region: Region) -> set[str]:
    """Region attribute values (lower-case) that place a directory user in ``region``;
    by default the region's country code and its name."""
    section = (region.settings or {}).get("entra") or {}
    values = section.get("directory_values") if isinstance(section, dict) else None
    if not values:
        values = [region.holiday_country, region.name]
    if isinstance(values, str):
        values = [values]
    return {str(v).strip().lower() for v in values if str(v).strip()}
