"""Signed-link pages: from a verified token to the one region it may see."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select

from app.auth.access import grant_region
from app.extensions import db
from app.scoping import region_scope, set_region_scope


@contextmanager
def all_regions() -> Iterator[None]:
    """Lift the region scope for a system read (an id, a yes/no) that must span regions."""
    previous = region_scope(db.session)
    set_region_scope(db.session, None)
    try:
        yield
    finally:
        set_region_scope(db.session, previous)


def grant_region_of(model: Any, object_id: int) -> int | None:
    """Grant the region owning ``model`` row ``object_id`` (named by a verified token).

    Only the row's ``region_id`` is read before the grant; every later query runs
    under that one region. Returns the region id, or None when the row is gone.
    """
    with all_regions():
        region_id = db.session.scalar(select(model.region_id).where(model.id == object_id))
    if region_id is None:
        return None
    grant_region(region_id)
    return region_id
