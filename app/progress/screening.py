"""Files that are no progress export at all, told apart before anyone is asked to map their
columns: an empty file, a PDF, a workbook, a binary file, a roster."""

from __future__ import annotations

from app.progress.guessing import guess
from app.progress.reading import FormatError
from app.progress.texts import error_code
from app.progress.values import fold

_WORKBOOKS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # xlsx/ods (zip), xls (OLE)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: header words of a roster (people and their managers), folded
_ROSTER_WORDS = ("manager", "vorgesetzte", "fuhrungskraft", "responsable", "supervisor")


def screen_bytes(sample: bytes) -> None:
    """Raise FormatError when the file's first bytes show it is no text table."""
    if not sample.strip():
        raise FormatError("the file is empty", code=error_code("empty"))
    if sample.startswith(b"%PDF-"):
        raise FormatError("the file is a PDF, not a CSV export", code=error_code("pdf"))
    if sample.startswith(_WORKBOOKS):
        raise FormatError(
            "the file is a workbook (xlsx, xls or ods): save it as CSV UTF-8 and import that",
            code=error_code("spreadsheet"),
        )
    if b"\x00" in sample and not sample.startswith(_UTF16_BOMS):
        raise FormatError("the file is not a text table (CSV)", code=error_code("binary"))


def screen_header(header: list[str], rows: list[list[str]]) -> None:
    """Raise FormatError for a roster: people and managers, and no column that could say
    which module or how far (any other unknown file goes to the lead's columns page)."""
    mapping = guess(header, rows)
    if any(mapping.get(k) for k in ("unit_column", "percent_column", "completed_column")):
        return
    folded = " ".join(fold(h) for h in header)
    if any(word in folded for word in _ROSTER_WORDS):
        raise FormatError(
            "this looks like a roster, not course progress: import it with `summit roster import`",
            code=error_code("roster"),
        )
