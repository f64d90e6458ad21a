"""Reading regions: the region a URL names, within the session's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, make_transient_to_detached

from app.extensions import db
from app.readcache import read_cache, thaw
from app.regions.models import Region


def region_by_code(session: Session, code: str) -> Any:
    """The region with ``code`` if the session's scope covers it, else None.

    Regions change only when ``summit regions sync`` commits, so the row's columns are
    read once per scope and commit epoch (:mod:`app.readcache` keys them by the scope)
    and each request gets its own copy in its session, without a query.
    """
    if not read_cache.active():
        return session.scalars(select(Region).where(Region.code == code)).one_or_none()
    columns = _region_columns(code)
    if columns is None:
        return None
    snapshot = Region(**thaw(columns))  # its own copy: the JSON settings included
    make_transient_to_detached(snapshot)  # as if loaded: clean, with its identity
    return session.merge(snapshot, load=False)


@read_cache.cached(reads=("region",))
def _region_columns(code: str) -> dict[str, Any] | None:
    region = db.session.scalars(select(Region).where(Region.code == code)).one_or_none()
    if region is None:
        return None
    return {c.key: getattr(region, c.key) for c in Region.__mapper__.column_attrs}
