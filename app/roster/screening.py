"""Files that are no roster, told apart before a row is read: another format uploaded by
mistake (a PDF, an old .xls), binary data, text that stops decoding part way."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from app.roster.errors import UnreadableRoster
from app.roster.workbooks import XLSX_MAGIC
from app.tabular import TabularError, detect_encoding


def roster_encoding(raw: BinaryIO) -> str:
    """The encoding of a text roster (:func:`app.tabular.detect_encoding`), refused with the
    roster's words when the file is binary."""
    try:
        return detect_encoding(raw)
    except TabularError as exc:
        raise UnreadableRoster(
            "This file is not text (it contains binary data). Upload the CSV, TXT or XLSX "
            "export of the roster.",
            "not_text",
        ) from exc


def bad_roster_encoding(exc: UnicodeDecodeError, encoding: str) -> UnreadableRoster:
    """A roster whose text stopped decoding part way."""
    return UnreadableRoster(
        f"The file is not valid {encoding} text past byte {exc.start}. "
        "Save it again from Excel as 'CSV UTF-8' and upload that.",
        "bad_encoding",
        encoding=encoding,
        byte=exc.start,
    )


def is_xlsx(path: Path | str) -> bool:
    with Path(path).open("rb") as fh:
        return fh.read(4) == XLSX_MAGIC


#: formats people upload by mistake (a report printed to PDF, an old .xls), by magic bytes
_OTHER_FORMATS = (
    (b"%PDF", "pdf", "a PDF document"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "xls",
        "an old Excel .xls workbook (or another Office 97 file)",
    ),
    (b"{\\rtf", "rtf", "an RTF document"),
    (b"\x89PNG", "image", "a PNG image"),
    (b"\xff\xd8\xff", "image", "a JPEG image"),
)


def refuse_other_formats(head: bytes) -> None:
    """Refuse, saying what it is, a file that is no CSV, text or .xlsx whatever its name."""
    for magic, kind, what in _OTHER_FORMATS:
        if head.startswith(magic):
            raise UnreadableRoster(
                f"This file is {what}, not a roster. Export the roster from the HR system "
                "as CSV or Excel (.xlsx), or open it in Excel and save it as .xlsx, then "
                "upload that.",
                "other_format",
                kind=kind,
            )
