"""Immutable copies of values, and the plain values that may serve as keys (core layer:
imports nothing of the app). The read cache keeps and hands out only frozen values, so no
caller can change what the next one reads."""

from __future__ import annotations

import collections
import dataclasses
import enum
import uuid
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import Row

PLAIN = (
    type(None),
    bool,
    int,
    float,
    str,
    bytes,
    Decimal,
    date,
    datetime,
    time_of_day,
    timedelta,
    enum.Enum,
    uuid.UUID,
)


def check_plain(value: Any) -> None:
    if isinstance(value, tuple | frozenset):
        for item in value:
            check_plain(item)
    elif not isinstance(value, PLAIN):
        raise TypeError(
            f"read cache: {type(value).__name__} is not a plain value (pass ids, not objects)"
        )


@cache
def row_type(fields: tuple[str, ...]) -> type:
    return collections.namedtuple("CachedRow", fields, rename=True)  # type: ignore[misc]


def freeze(value: Any) -> Any:
    """``value`` as an immutable copy, or ``TypeError`` for what cannot be shared."""
    if isinstance(value, PLAIN):
        return value
    if hasattr(value, "_sa_instance_state"):
        raise TypeError(f"read cache: {type(value).__name__} is an ORM object; return values")
    if isinstance(value, Row):
        return row_type(tuple(value._fields))(*(freeze(v) for v in value))
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        return type(value)(*(freeze(v) for v in value))
    if isinstance(value, tuple | list):
        return tuple(freeze(v) for v in value)
    if isinstance(value, set | frozenset):
        return frozenset(freeze(v) for v in value)
    if isinstance(value, dict | MappingProxyType):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if not value.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            raise TypeError(f"read cache: {type(value).__name__} must be a frozen dataclass")
        changes = {f.name: freeze(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    raise TypeError(f"read cache: cannot keep a {type(value).__name__} (not immutable)")


def thaw(value: Any) -> Any:
    """A fresh mutable copy of a frozen value (read-only mappings become dicts, tuples
    lists): for a caller that needs its own copy, such as an ORM object's JSON column."""
    if isinstance(value, MappingProxyType | dict):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return [thaw(v) for v in value]
    if isinstance(value, frozenset):
        return {thaw(v) for v in value}
    return value
