"""Reading regions: the region a URL names, within the session's scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, make_transient_to_detached

from app.extensions import db
from app.frozen import thaw
from app.readcache import read_cache
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
    mapper = Region.__mapper__
    if mapper.identity_key_from_primary_key((columns["id"],)) in session.identity_map:
        # this session holds the row already (a test's, or a job's): merged onto it
        snapshot = Region(**thaw(columns))
        make_transient_to_detached(snapshot)
        return session.merge(snapshot, load=False)
    # a request's first look: the row built as a load builds it (its columns straight into
    # the instance's dict, no attribute events; its own copy, the JSON settings included),
    # made clean with its identity and attached: no second object, no copy, no query
    snapshot = mapper.class_manager.new_instance()
    snapshot.__dict__.update(thaw(columns))
    make_transient_to_detached(snapshot)
    session.add(snapshot)
    return snapshot


@read_cache.cached(reads=("region",))
def _region_columns(code: str) -> dict[str, Any] | None:
    region = db.session.scalars(select(Region).where(Region.code == code)).one_or_none()
    if region is None:
        return None
    return {c.key: getattr(region, c.key) for c in Region.__mapper__.column_attrs}


def regions_by_name() -> list[Region]:
    """The regions the request may see, by name."""
    return list(db.session.scalars(select(Region).order_by(Region.name)))


def region_with_code(code: str) -> Region | None:
    return db.session.scalars(select(Region).where(Region.code == code)).one_or_none()
