"""Region scoping: the one mechanism every staff query goes through.

A request signed in as staff sets ``session.info["region_scope"]`` to the set of
region ids the person may see (``None`` for a global admin or code outside a
request, such as jobs, which receive their region explicitly). A
``do_orm_execute`` hook then adds ``region_id IN (...)`` to every ORM SELECT,
UPDATE and DELETE touching a :class:`~app.db.RegionScoped` model, including
``session.get``, lazy loads, joins and counts.

It does not cover ``text()``, ``Table.select()`` or ``engine.connect()``: keep
those out of request code, or filter them by region explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from flask import abort, g
from sqlalchemy import event, select
from sqlalchemy.orm import (
    ORMExecuteState,
    Session,
    make_transient_to_detached,
    with_loader_criteria,
)

from app.db import RegionScoped
from app.frozen import thaw
from app.readcache import read_cache

SCOPE_KEY = "region_scope"
T = TypeVar("T")


def set_region_scope(session: Session, region_ids: Iterable[int] | None) -> None:
    """Limit every later ORM query of ``session`` to ``region_ids`` (None lifts it)."""
    if region_ids is None:
        session.info.pop(SCOPE_KEY, None)
    else:
        session.info[SCOPE_KEY] = tuple(sorted(set(region_ids)))


def region_scope(session: Session) -> tuple[int, ...] | None:
    return session.info.get(SCOPE_KEY)


@event.listens_for(Session, "do_orm_execute")
def _add_region_criteria(state: ORMExecuteState) -> None:
    region_ids = state.session.info.get(SCOPE_KEY)
    if region_ids is None:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria below already propagate to these loads
    from app.regions.models import Region

    state.statement = state.statement.options(
        with_loader_criteria(
            RegionScoped,
            lambda cls: cls.region_id.in_(region_ids),
            include_aliases=True,
        ),
        with_loader_criteria(Region, lambda cls: cls.id.in_(region_ids), include_aliases=True),
    )


def region_by_code(session: Session, code: str) -> Any:
    """The region with ``code`` if the session's scope covers it, else None.

    Regions change only when ``summit regions sync`` commits, so the row's columns are
    read once per scope and commit epoch (:mod:`app.readcache` keys them by the scope)
    and each request gets its own copy in its session, without a query.
    """
    from app.regions.models import Region

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
    from app.extensions import db
    from app.regions.models import Region

    region = db.session.scalars(select(Region).where(Region.code == code)).one_or_none()
    if region is None:
        return None
    return {c.key: getattr(region, c.key) for c in Region.__mapper__.column_attrs}


def get_in_region_or_404(
    model: type[T], object_id: Any = None, *, options: Iterable[Any] = (), **filters: Any
) -> T:
    """Load one row of ``model`` by id (or by ``filters``) within the URL's region, or 404;
    ``options`` are loader options for the page (e.g. ``selectinload``).

    The load runs under the session's region scope too, so an id from another
    region is a 404 whether it is foreign to the URL's region or to the user.
    """
    from app.extensions import db

    region = g.region
    stmt = select(model).where(model.region_id == region.id)  # type: ignore[attr-defined]
    if options:
        stmt = stmt.options(*options)
    if object_id is not None:
        try:
            stmt = stmt.where(model.id == int(object_id))  # type: ignore[attr-defined]
        except (TypeError, ValueError):
            abort(404)
    elif not filters:
        raise TypeError("get_in_region_or_404 needs an id or filters")
    for name, value in filters.items():
        stmt = stmt.where(getattr(model, name) == value)
    obj = db.session.scalars(stmt).one_or_none()
    if obj is None:
        abort(404)
    return obj
