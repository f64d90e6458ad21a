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
    with_loader_criteria,
)

from app.db import RegionScoped, ScopeRegion
from app.extensions import db

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
    state.statement = state.statement.options(
        with_loader_criteria(
            RegionScoped,
            lambda cls: cls.region_id.in_(region_ids),
            include_aliases=True,
        ),
        with_loader_criteria(ScopeRegion, lambda cls: cls.id.in_(region_ids), include_aliases=True),
    )


def get_in_region_or_404(
    model: type[T], object_id: Any = None, *, options: Iterable[Any] = (), **filters: Any
) -> T:
    """Load one row of ``model`` by id (or by ``filters``) within the URL's region, or 404;
    ``options`` are loader options for the page (e.g. ``selectinload``).

    The load runs under the session's region scope too, so an id from another
    region is a 404 whether it is foreign to the URL's region or to the user.
    """
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
