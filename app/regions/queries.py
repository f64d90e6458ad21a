"""Read side of regions (under the request's region scope)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.regions.models import Region


def regions_by_name() -> list[Region]:
    """The regions the request may see, by name."""
    return list(db.session.scalars(select(Region).order_by(Region.name)))


def region_with_code(code: str) -> Region | None:
    return db.session.scalars(select(Region).where(Region.code == code)).one_or_none()
