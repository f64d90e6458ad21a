"""Mappings a lead confirmed (field → header of the file), remembered per region and
set of headers: next week's file with the same headers imports without questions."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.rollouts.models import RosterMapping
from app.rollouts.roster_files import FIELDS, UnreadableRoster, read_header
from app.rollouts.roster_headers import normalise_header


def header_key(headers: list[str]) -> str:
    """The identity of a set of headers: normalised, sorted, hashed (order-insensitive)."""
    names = sorted({normalise_header(h) for h in headers if normalise_header(h)})
    return hashlib.sha256("\x1f".join(names).encode()).hexdigest()


def parse_map(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``["manager_id=Manager - ID", "buddy="]`` → a mapping; refuses unknown fields."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        field = field.strip()
        if not sep or field not in FIELDS:
            raise UnreadableRoster(
                f"--map takes field=Header with a field among {', '.join(FIELDS)}; got {pair!r}."
            )
        mapping[field] = header.strip()
    return mapping


def saved_mapping(*, region_id: int, path: Path | str, sheet: str | None = None) -> dict | None:
    """The mapping confirmed for this region and this file's headers, if any."""
    headers = read_header(path, sheet=sheet)
    return db.session.scalars(
        select(RosterMapping.mapping).where(
            RosterMapping.region_id == region_id,
            RosterMapping.header_key == header_key(headers),
        )
    ).one_or_none()


def save_mapping(
    *, region_id: int, path: Path | str, mapping: dict[str, str], sheet: str | None = None
) -> RosterMapping:
    """Remember ``mapping`` for this region and this file's headers. Flushes."""
    key = header_key(read_header(path, sheet=sheet))
    row = db.session.scalars(
        select(RosterMapping).where(
            RosterMapping.region_id == region_id, RosterMapping.header_key == key
        )
    ).one_or_none()
    if row is None:
        row = RosterMapping(region_id=region_id, header_key=key, mapping=mapping)
        db.session.add(row)
    else:
        row.mapping = dict(mapping)
    db.session.flush()
    return row
