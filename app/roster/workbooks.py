"""Excel workbooks (.xlsx) as HR systems and people save them: opened read-only and
streamed, bounded against zip bombs, hidden sheets never read."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import Any, BinaryIO

from app.roster.errors import UnreadableRoster

XLSX_MAGIC = b"PK\x03\x04"


def sheet_rows(sheet: Any) -> Iterator[tuple[int, list[Any]]]:
    for number, row in enumerate(sheet.iter_rows(), start=1):
        yield number, [cell_value(c) for c in row]


def cell_value(cell: Any) -> Any:
    value = getattr(cell, "value", None)
    if isinstance(value, int | float) and not isinstance(value, bool):
        fmt = getattr(cell, "number_format", "") or ""
        if fmt and set(fmt) == {"0"} and float(value).is_integer():
            return str(int(value)).zfill(len(fmt))  # "000123" kept as the sheet shows it
    return value


#: bounds of an .xlsx upload, checked before openpyxl inflates anything: a 100 KB zip
#: bomb must not keep a worker busy for a minute
XLSX_MAX_UNCOMPRESSED = 1024 * 1024 * 1024


XLSX_MAX_RATIO = 200  # Excel's XML deflates about 10-30 times


XLSX_MAX_SHEETS = 100


XLSX_MAX_ROWS = 2_000_000


def check_xlsx_bounds(raw: BinaryIO) -> None:
    try:
        with zipfile.ZipFile(raw) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableRoster(
            f"This .xlsx workbook cannot be opened ({exc}).", "bad_xlsx"
        ) from exc
    sheets = [m for m in members if m.filename.startswith("xl/worksheets/")]
    if len(sheets) > XLSX_MAX_SHEETS:
        raise UnreadableRoster(
            f"The workbook has {len(sheets)} sheets; put the roster alone in a workbook."
        )
    unpacked = sum(m.file_size for m in members)
    inflated = [
        m
        for m in members
        if m.file_size > 1024 * 1024 and m.file_size > XLSX_MAX_RATIO * max(m.compress_size, 1)
    ]
    if unpacked > XLSX_MAX_UNCOMPRESSED or inflated:
        raise UnreadableRoster(
            "This .xlsx workbook unpacks to far more than it weighs, which no roster does. "
            "Save it again from Excel, or as CSV UTF-8, and upload that."
        )


def open_workbook(raw: BinaryIO) -> Any:
    """An .xlsx opened read-only from its bytes (whatever the file is named)."""
    # openpyxl takes 0.4 s to import: only when a workbook is uploaded
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_xlsx_bounds(raw)
    raw.seek(0)
    try:
        return load_workbook(raw, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise UnreadableRoster(
            f"This .xlsx workbook cannot be opened ({exc}).", "bad_xlsx"
        ) from exc


def visible_sheets(workbook: Any) -> list[Any]:
    return [s for s in workbook.worksheets if getattr(s, "sheet_state", "visible") == "visible"]
