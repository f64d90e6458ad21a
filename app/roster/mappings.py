"""Mappings a lead confirmed (field → header of the file), remembered per region and
set of headers: next week's file with the same headers imports without questions."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.roster.errors import UnreadableRoster
from app.roster.files import FIELDS, HEADER_SEARCH_ROWS, clean_cell, pick_sheet
from app.roster.headers import guess_mapping, looks_like_header, normalise_header
from app.roster.models import RosterMapping
from app.roster.screening import bad_roster_encoding, refuse_other_formats, roster_encoding
from app.roster.workbooks import XLSX_MAGIC, open_workbook, visible_sheets
from app.tabular import SAMPLE_BYTES, open_text, sniff_delimiter

#: sample values shown per column in the preview
SAMPLES = 3
#: columns offered in the preview's drop-downs (an export with more is cut there)
MAX_COLUMNS = 300


def _top_rows(path: Path | str, sheet: str | None) -> Iterator[tuple[int, list[str], list[str]]]:
    """The first rows of a file as text cells: (line, cells, the workbook's visible
    sheets and the one read, or [] for a text file)."""
    with Path(path).open("rb") as raw:
        head = raw.read(SAMPLE_BYTES)
        raw.seek(0)
        refuse_other_formats(head)
        if head.startswith(XLSX_MAGIC):
            workbook = open_workbook(raw)
            try:
                target = pick_sheet(workbook, sheet)
                sheets = [target.title] + [s.title for s in visible_sheets(workbook)]
                for number, row in enumerate(target.iter_rows(values_only=True), 1):
                    yield number, [clean_cell(c) for c in row], sheets
                    if number >= HEADER_SEARCH_ROWS + SAMPLES + 1:
                        return
            finally:
                workbook.close()
            return
        encoding = roster_encoding(raw)
        text = open_text(raw, encoding)
        try:
            for number, physical in enumerate(text, 1):
                cells = next(csv.reader([physical], delimiter=sniff_delimiter(physical)), [])
                yield number, [clean_cell(c) for c in cells], []
                if number >= HEADER_SEARCH_ROWS + SAMPLES + 1:
                    return
        except UnicodeDecodeError as exc:
            raise bad_roster_encoding(exc, encoding) from exc


def inspect_file(path: Path | str, *, sheet: str | None = None) -> dict[str, Any]:
    """What the lead needs to map a file's columns: its headers, a few values of each,
    Summit's guess per field, and the workbook's visible sheets (the one read first)."""
    header: list[str] = []
    samples: list[list[str]] = []
    sheets: list[str] = []
    first: list[str] = []
    for _, cells, sheets_ in _top_rows(path, sheet):
        sheets = sheets_
        if header:
            if any(cells) and len(samples) < SAMPLES:
                samples.append(cells)
            continue
        if any(cells) and not first:
            first = cells
        if looks_like_header(cells):
            header = cells
    header = [h[:200] for h in (header or first)][:MAX_COLUMNS]
    columns = [h for h in header if h]
    by_column = {
        h: [row[i][:80] for row in samples if i < len(row) and row[i]][:SAMPLES]
        for i, h in enumerate(header)
        if h
    }
    guess = {field: header[i] for field, i in guess_mapping(header).items()}
    return {
        "columns": columns,
        "samples": by_column,
        "guess": guess,
        "sheet": sheets[0] if sheets else None,
        "sheets": list(dict.fromkeys(sheets[1:])),
    }


def read_header(path: Path | str, *, sheet: str | None = None) -> list[str]:
    """The header row of a roster file as written (the row that names the columns, else
    the first non-empty row)."""
    return inspect_file(path, sheet=sheet)["columns"]


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


def saved_mapping_for(*, region_id: int, columns: list[str]) -> RosterMapping | None:
    """The mapping confirmed for this region and these headers, if any."""
    return db.session.scalars(
        select(RosterMapping).where(
            RosterMapping.region_id == region_id,
            RosterMapping.header_key == header_key(columns),
        )
    ).one_or_none()


def saved_mapping(*, region_id: int, path: Path | str, sheet: str | None = None) -> dict | None:
    """The mapping confirmed for this region and this file's headers, if any."""
    row = saved_mapping_for(region_id=region_id, columns=read_header(path, sheet=sheet))
    return row.mapping if row is not None else None


def remember_mapping(
    *,
    region_id: int,
    columns: list[str],
    mapping: dict[str, str],
    row_filter: dict[str, Any] | None = None,
) -> RosterMapping:
    """Remember ``mapping`` (and who is in) for this region and these headers. Flushes."""
    key = header_key(columns)
    row = db.session.scalars(
        select(RosterMapping).where(
            RosterMapping.region_id == region_id, RosterMapping.header_key == key
        )
    ).one_or_none()
    if row is None:
        row = RosterMapping(region_id=region_id, header_key=key, mapping=dict(mapping))
        db.session.add(row)
    row.mapping = dict(mapping)
    row.row_filter = row_filter
    db.session.flush()
    return row


def save_mapping(
    *, region_id: int, path: Path | str, mapping: dict[str, str], sheet: str | None = None
) -> RosterMapping:
    """Remember ``mapping`` for this region and this file's headers. Flushes."""
    return remember_mapping(
        region_id=region_id, columns=read_header(path, sheet=sheet), mapping=mapping
    )
