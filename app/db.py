"""The declarative base, the shared column types and the region-owned mixin."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Enum,
    ForeignKey,
    MetaData,
    TypeDecorator,
    cast,
    column,
    literal,
    null,
    select,
    union_all,
    values,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, registry
from sqlalchemy.sql import FromClause
from sqlalchemy.types import TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC (what every timestamp column stores)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database.

    SQLite keeps no offset, so values are stored as naive UTC and given their
    ``tzinfo`` back on load; a naive value handed in is refused rather than guessed.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime (UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite through raw SQL
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class RegionScoped:
    """A row owned by one region.

    Every model that mixes this in is filtered to the signed-in staff member's
    regions by :mod:`app.scoping`, whatever query loads it.
    """

    @declared_attr
    def region_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("region.id", ondelete="RESTRICT"), index=True)


class ScopeRegion:
    """The region table itself: :mod:`app.scoping` filters it by its own ``id``, so a
    scoped session sees only its regions (mixed into ``Region`` alone, which takes its
    primary key from here: the scoping hook reads ``id`` on this class)."""

    @declared_attr
    def id(cls) -> Mapped[int]:
        return mapped_column(primary_key=True)


def str_enum(enum_class: type[enum.StrEnum], length: int = 32) -> Enum:
    """A portable enum column storing the member's value as VARCHAR (no native type to migrate)."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


def constant_rows(
    name: str,
    columns: Sequence[tuple[str, TypeEngine[Any]]],
    rows: Sequence[Sequence[Any]],
    *,
    dialect: str,
) -> FromClause:
    """Rows of constants as a named table to join (each region's cutoff, each rollout's
    required modules), with bound values.

    On PostgreSQL a ``VALUES`` list: the planner estimates its join as any table's and
    scans a big table once with a hash join when the rows cover most of it. A ``UNION ALL``
    of one ``SELECT`` a row made it push each row's constants into an index scan of its
    own: over 100 regions, each page of the table read once per region (3–4× slower).
    SQLite's ``VALUES`` cannot name its columns: a ``UNION ALL`` there. One row is a plain
    ``SELECT`` everywhere (its constants are the index scan one region wants)."""

    def one(row: Sequence[Any]) -> Any:
        return select(
            *(literal(v, kind).label(key) for (key, kind), v in zip(columns, row, strict=True))
        )

    if len(rows) == 1:
        return one(rows[0]).subquery(name)
    if dialect == "postgresql":
        # a NULL is typed: a column of NULLs alone would be text to PostgreSQL
        typed = [
            tuple(
                cast(null(), kind) if value is None else value
                for (_key, kind), value in zip(columns, row, strict=True)
            )
            for row in rows
        ]
        return values(*(column(key, kind) for key, kind in columns), name=name).data(typed)
    return union_all(*(one(row) for row in rows)).subquery(name)
