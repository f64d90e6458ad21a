"""Reading the roster files HR systems really export, one record at a time.

Handles UTF-8 with or without BOM, UTF-16 (Excel's "Unicode text"), cp1252 (Excel's
"CSV" on Windows), ``.xlsx`` (streamed with openpyxl's read-only mode; the first
visible sheet that holds a roster, or the one asked for; hidden sheets are never
read), comma, semicolon or tab delimiters, quoted fields spanning lines, CRLF,
trailing empty columns, title rows above the header (the header is found among
the first rows), a second label row under it (SuccessFactors' user data file),
non-breaking spaces and BOMs inside cells, blank rows and a totals row. Which
column is which comes from :mod:`app.roster.headers`, or from a mapping
the lead confirmed. Memory stays bounded: records are yielded, never collected.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from app.language import N_
from app.roster.errors import UnreadableRoster
from app.roster.headers import (
    FIELDS,
    guess_field,
    guess_mapping,
    looks_like_header,
    missing_fields,
    normalise_header,
)
from app.roster.screening import bad_roster_encoding, refuse_other_formats, roster_encoding
from app.roster.workbooks import (
    XLSX_MAGIC,
    XLSX_MAX_ROWS,
    open_workbook,
    sheet_rows,
    visible_sheets,
)
from app.tabular import SAMPLE_BYTES, sniff_delimiter

__all__ = ["COLUMN_LABELS", "FIELDS", "RawRecord", "UnreadableRoster", "read_roster"]

COLUMN_LABELS = {
    "employee_id": N_("Employee ID"),
    "email": N_("Email"),
    "name": N_("Name"),
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "manager": N_("Manager"),
    "manager_id": N_("Manager ID"),
    "manager_email": N_("Manager email"),
    "manager_name": N_("Manager name"),
    "locale": N_("Locale"),
    "time_zone": N_("Time zone"),
    "country": N_("Country"),
    "buddy": N_("Buddy"),
    "learner": N_("Learner"),
}
_MISSING_TEXT = {
    "employee_id": "an employee id column (Employee ID, Personnel number, Personalnummer)",
    "email": "an email column (Email, E-mail)",
    "name": "a name column (Name, or First name and Last name)",
}

#: the mapping's key for the column that chooses who is in (its value: a header)
KEEP = "_keep"
#: how many rows above the header a file may have (titles, merged cells, notes)
HEADER_SEARCH_ROWS = 25
#: spaces Excel and HR systems put in cells; invisible characters that only get in the way
_SPACES = str.maketrans(
    {"\u00a0": " ", "\u2007": " ", "\u202f": " ", "\u200b": None, "\u2060": None, "\ufeff": None}
)
_TOTALS = re.compile(
    r"^(grand total|total|totals|sum|count|summe|gesamt|insgesamt|anzahl|somme|nombre)\b",
    re.IGNORECASE,
)


class RawRecord(NamedTuple):
    """One record of the file (a tuple: 300,000 of them are made per import)."""

    #: the physical line (or sheet row) where the record starts; the header is line 1
    line: int
    values: dict[str, str]


def clean_cell(value: object) -> str:
    """A cell as text: NBSPs become spaces, BOMs and zero-width characters go, trimmed."""
    if value.__class__ is str:
        # ASCII text (nearly every cell) has none of them: skip the translation
        return value.strip() if value.isascii() else value.translate(_SPACES).strip()  # type: ignore[union-attr]
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # ids typed as numbers come back as 1234.0
    return str(value).translate(_SPACES).strip()


def map_headers(headers: list[str], chosen: dict[str, str] | None = None) -> dict[int, str]:
    """Column index → Summit field: the lead's choice for a field, else the best guess.

    ``chosen`` maps a field to a header of the file (compared normalised), or to ""
    to leave the field out; its ``KEEP`` names the column that chooses who is in (read
    as ``KEEP`` unless it feeds a field). Refuses a mapping without the columns Summit
    needs.
    """
    by_field = guess_mapping(headers)
    chosen = dict(chosen or {})
    keep = chosen.pop(KEEP, "")
    for field, header in chosen.items():
        if field not in FIELDS:
            raise UnreadableRoster(f"Unknown field {field!r}; use one of {', '.join(FIELDS)}.")
        by_field.pop(field, None)
        if not header:
            continue
        wanted = normalise_header(header)
        index = next((i for i, h in enumerate(headers) if normalise_header(h) == wanted), None)
        if index is None:
            raise UnreadableRoster(f"The file has no column {header!r} (for {field}).")
        for other, i in list(by_field.items()):
            if i == index:  # one column feeds one field
                del by_field[other]
        by_field[field] = index
    missing = missing_fields(set(by_field))
    if missing:
        shown = ", ".join(repr(h) for h in headers if str(h or "").strip())[:300]
        raise UnreadableRoster(
            "The first row must name the columns; missing "
            f"{'; '.join(_MISSING_TEXT[m] for m in missing)}. Headers found: {shown or 'none'}.",
            "missing_columns",
            missing=missing,
            found=shown,
        )
    columns = {index: field for field, index in by_field.items()}
    if keep:
        wanted = normalise_header(keep)
        index = next((i for i, h in enumerate(headers) if normalise_header(h) == wanted), None)
        if index is None:
            raise UnreadableRoster(f"The file has no column {keep!r} (to choose who is in).")
        columns.setdefault(index, KEEP)
    return columns


def _is_label_row(cells: list[str], mapping: dict[int, str]) -> bool:
    """A second header row (SuccessFactors puts labels under its system keys)."""
    named = [cells[i] for i in mapping if i < len(cells) and cells[i]]
    return bool(named) and sum(guess_field(c) is not None for c in named) * 2 > len(named)


def _is_filler(values: dict[str, str], cells: list[Any]) -> bool:
    """A blank or totals row ("Total", "Summe: 60"...): nothing that names a person."""
    if not any(values.values()):
        return True
    # a count under the email column ("Total; ; ; 3") names nobody
    if "@" in values.get("email", "") or values.get("name") or values.get("first_name"):
        return False
    first = next((c for c in (clean_cell(c) for c in cells) if c), "")
    return bool(_TOTALS.match(first))


class _CountingReader(io.RawIOBase):
    """Wraps a binary stream, counting bytes read (for the progress bar)."""

    def __init__(self, stream: BinaryIO, on_read: Callable[[int], None] | None) -> None:
        self._stream = stream
        self._on_read = on_read
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        if self._on_read is not None:
            self._on_read(self.count)
        return n


def read_roster(
    path: Path | str,
    *,
    on_progress: Callable[[int, int], None] | None = None,
    mapping: dict[str, str] | None = None,
    sheet: str | None = None,
    on_header: Callable[[list[str], dict[int, str]], None] | None = None,
) -> Iterator[RawRecord]:
    """Yield the records of a roster file, mapped to Summit's fields, in file order.

    ``mapping`` (field → header) overrides the guesses; ``sheet`` picks a workbook's
    sheet. ``on_header(headers, columns)`` is told which header row and mapping were
    used. Raises :class:`UnreadableRoster` when the file cannot be read at all (also
    midway: the caller applies nothing until the whole file is read).
    ``on_progress(bytes_read, total_bytes)`` is called as the file is consumed.
    """
    empty = True
    for record in _read_records(path, on_progress, mapping, sheet, on_header):
        empty = False
        yield record
    if empty:
        # applied, a roster of nobody would flag every enrolled person as missing
        raise UnreadableRoster(
            "The file names its columns but has no people under them (only blank or "
            "totals rows). Export the roster again with its rows and upload that.",
            "no_people",
        )


def _read_records(
    path: Path | str,
    on_progress: Callable[[int, int], None] | None,
    mapping: dict[str, str] | None,
    sheet: str | None,
    on_header: Callable[[list[str], dict[int, str]], None] | None,
) -> Iterator[RawRecord]:
    path = Path(path)
    total = path.stat().st_size
    if total == 0:
        raise UnreadableRoster("The file is empty.", "empty")
    with path.open("rb") as raw:
        head = raw.read(SAMPLE_BYTES)
        raw.seek(0)
        refuse_other_formats(head)
        if head.startswith(XLSX_MAGIC):
            yield from _read_xlsx(raw, on_progress, total, mapping, sheet, on_header)
            return
        encoding = roster_encoding(raw)
        counting = _CountingReader(raw, (lambda n: on_progress(n, total)) if on_progress else None)
        text = io.TextIOWrapper(
            io.BufferedReader(counting, buffer_size=256 * 1024),
            encoding=encoding,
            errors="strict",
            newline="",
        )
        try:
            yield from _read_text(text, mapping, on_header)
        except UnicodeDecodeError as exc:
            raise bad_roster_encoding(exc, encoding) from exc
        except csv.Error as exc:
            raise UnreadableRoster(f"The file is not a readable CSV ({exc}).") from exc


def _find_header(
    rows: Iterator[tuple[int, list[str]]], chosen: dict[str, str] | None
) -> tuple[int, list[str], dict[int, str]]:
    """The header among the first rows: (its line, its cells, the column mapping)."""
    first: list[str] | None = None
    for line, cells in rows:
        if not any(cells):
            continue
        if first is None:
            first = cells
        if looks_like_header(cells) or (chosen and _names_all(cells, chosen)):
            return line, cells, map_headers(cells, chosen)
        if line >= HEADER_SEARCH_ROWS:
            break
    if first is None:
        raise UnreadableRoster(
            "The file has no rows: the first row must name the columns.", "empty"
        )
    map_headers(first, chosen)  # raises, naming what is missing
    raise AssertionError("unreachable")  # pragma: no cover


def _names_all(cells: list[str], chosen: dict[str, str]) -> bool:
    keys = {normalise_header(c) for c in cells}
    return all(normalise_header(h) in keys for h in chosen.values() if h)


def _read_text(
    text: io.TextIOWrapper,
    chosen: dict[str, str] | None,
    on_header: Callable[[list[str], dict[int, str]], None] | None,
) -> Iterator[RawRecord]:
    consumed = 0
    delimiters: dict[int, str] = {}

    def lines() -> Iterator[tuple[int, list[str]]]:
        nonlocal consumed
        while consumed < HEADER_SEARCH_ROWS:
            physical = text.readline()
            if not physical:
                return
            consumed += 1
            delimiter = sniff_delimiter(physical)
            delimiters[consumed] = delimiter
            cells = next(csv.reader([physical], delimiter=delimiter), [])
            yield consumed, [clean_cell(c) for c in cells]

    header_line, headers, mapping = _find_header(lines(), chosen)
    if on_header is not None:
        on_header(headers, mapping)
    csv.field_size_limit(1024 * 1024)
    # the search stopped at the header: the reader goes on from the line after it
    reader = csv.reader(text, delimiter=delimiters[header_line])
    previous_end = header_line
    first = True
    pick = _picker(mapping)
    for cells in reader:
        start = previous_end + 1
        previous_end = reader.line_num + header_line
        values = pick(cells)
        if _is_filler(values, cells):
            continue
        if first:
            first = False
            if _is_label_row([clean_cell(c) for c in cells], mapping):
                continue
        yield RawRecord(line=start, values=values)


def _picker(mapping: dict[int, str]) -> Callable[[list[Any]], dict[str, str]]:
    """``pick(cells)``: a record's values by field (made once a file: it runs per row)."""
    fields = tuple(mapping.values())
    indexes = tuple(mapping)
    last = max(indexes)
    cells_of = itemgetter(*indexes) if len(indexes) > 1 else lambda cells: (cells[indexes[0]],)

    def pick(cells: list[Any]) -> dict[str, str]:
        if len(cells) > last:  # the common case: every mapped cell is there, as text
            try:
                return {
                    field: c.strip() if c.isascii() else clean_cell(c)
                    for field, c in zip(fields, cells_of(cells), strict=True)
                }
            except AttributeError:  # a sheet's number or None
                pass
        return {
            field: clean_cell(cells[index]) if index < len(cells) else ""
            for index, field in mapping.items()
        }

    return pick


def _read_xlsx(
    raw: BinaryIO,
    on_progress: Callable[[int, int], None] | None,
    total: int,
    chosen: dict[str, str] | None,
    sheet_name: str | None,
    on_header: Callable[[list[str], dict[int, str]], None] | None,
) -> Iterator[RawRecord]:
    workbook = open_workbook(raw)
    try:
        sheet = pick_sheet(workbook, sheet_name)
        rows = sheet_rows(sheet)
        header_rows = ((n, [clean_cell(c) for c in cells]) for n, cells in rows)
        _, headers, mapping = _find_header(header_rows, chosen)
        if on_header is not None:
            on_header(headers, mapping)
        estimated = max(sheet.max_row or 1, 2)
        first = True
        pick = _picker(mapping)
        for number, row in rows:
            if number > XLSX_MAX_ROWS:
                raise UnreadableRoster(
                    f"The sheet has more than {XLSX_MAX_ROWS:,} rows; split the roster."
                )
            if on_progress is not None and number % 1000 == 0:
                on_progress(min(total, total * number // estimated), total)
            values = pick(row)
            if _is_filler(values, row):
                continue
            if first:
                first = False
                if _is_label_row([clean_cell(c) for c in row], mapping):
                    continue
            yield RawRecord(line=number, values=values)
    finally:
        workbook.close()


def pick_sheet(workbook: Any, name: str | None) -> Any:
    """The sheet asked for, else the first visible sheet whose rows hold a roster."""
    sheets = visible_sheets(workbook)
    if not sheets:
        raise UnreadableRoster("The workbook has no visible sheet.", "no_sheet")
    if name:
        for sheet in sheets:
            if sheet.title == name:
                return sheet
        raise UnreadableRoster(
            f"The workbook has no visible sheet {name!r}; its sheets: "
            + ", ".join(repr(s.title) for s in sheets)
        )
    for sheet in sheets:
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if looks_like_header([clean_cell(c) for c in row]):
                return sheet
            if number >= HEADER_SEARCH_ROWS:
                break
    return sheets[0]
