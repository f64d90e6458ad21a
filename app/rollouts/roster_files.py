"""Reading the roster files HR systems really export, one record at a time.

Handles UTF-8 with or without BOM, UTF-16 (Excel's "Unicode text"), cp1252 (Excel's
"CSV" on Windows), ``.xlsx`` (streamed with openpyxl's read-only mode), comma,
semicolon or tab delimiters, quoted fields spanning lines, CRLF and trailing empty
columns. Header names are matched case-, space- and punctuation-insensitively
against aliases. Memory stays bounded: records are yielded, never collected.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

#: the columns Summit keeps; everything else in the file is ignored (minimisation)
FIELDS = (
    "employee_id",
    "email",
    "name",
    "first_name",
    "last_name",
    "manager",
    "locale",
    "time_zone",
    "buddy",
    "learner",
)

#: header aliases, normalised with :func:`normalise_header`
ALIASES: dict[str, str] = {}
for _field, _names in {
    "employee_id": [
        "employee id",
        "employee number",
        "employee no",
        "emp id",
        "personnel number",
        "personnel no",
        "personalnummer",
        "staff id",
        "worker id",
        "matricule",
        "id",
    ],
    "email": ["email", "e-mail", "email address", "work email", "mail", "courriel"],
    "name": ["name", "full name", "display name", "employee name"],
    "first_name": ["first name", "given name", "firstname", "vorname", "prénom", "prenom"],
    "last_name": ["last name", "surname", "family name", "nachname", "nom"],
    "manager": [
        "manager",
        "manager id",
        "manager email",
        "manager e-mail",
        "line manager",
        "supervisor",
        "reports to",
        "vorgesetzter",
        "vorgesetzte",
        "responsable",
    ],
    "locale": ["locale", "language", "sprache", "langue", "lang"],
    "time_zone": ["time zone", "timezone", "tz"],
    "buddy": ["buddy", "buddy id", "buddy email"],
    "learner": ["learner", "participant", "enrol", "enroll", "enrolled", "teilnehmer"],
}.items():
    for _name in _names:
        ALIASES[re.sub(r"[^\w]|_", "", _name.casefold())] = _field

COLUMN_LABELS = {
    "employee_id": "Employee ID",
    "email": "Email",
    "name": "Name",
    "first_name": "First name",
    "last_name": "Last name",
    "manager": "Manager",
    "locale": "Locale",
    "time_zone": "Time zone",
    "buddy": "Buddy",
    "learner": "Learner",
}

SAMPLE_BYTES = 64 * 1024
XLSX_MAGIC = b"PK\x03\x04"


class UnreadableRoster(ValueError):
    """The file cannot be read at all; the reason says what to do."""


class RawRecord(NamedTuple):
    """One record of the file (a tuple: 300,000 of them are made per import)."""

    #: the physical line (or sheet row) where the record starts; the header is line 1
    line: int
    values: dict[str, str]


def normalise_header(value: object) -> str:
    """``" Manager (id or email) "`` → ``"manager"``: parenthesised notes and punctuation go."""
    text = unicodedata.normalize("NFKC", str(value or "")).casefold()
    text = re.sub(r"\(.*?\)", "", text)
    return re.sub(r"[^\w]|_", "", text)


def map_headers(headers: list[str]) -> dict[int, str]:
    """Column index → Summit field, refusing a file without the columns Summit needs."""
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        field = ALIASES.get(normalise_header(header))
        if field and field not in mapping.values():
            mapping[index] = field
    found = set(mapping.values())
    missing = []
    if "employee_id" not in found:
        missing.append("an employee id column (Employee ID, Personnel number, Personalnummer)")
    if "email" not in found:
        missing.append("an email column (Email, E-mail)")
    if "name" not in found and not {"first_name", "last_name"} <= found:
        missing.append("a name column (Name, or First name and Last name)")
    if missing:
        shown = ", ".join(repr(h) for h in headers if str(h or "").strip())[:300]
        raise UnreadableRoster(
            f"The first row must name the columns; missing {'; '.join(missing)}. "
            f"Headers found: {shown or 'none'}."
        )
    return mapping


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


def detect_encoding(sample: bytes) -> str:
    """The encoding of a text export, from its BOM or its bytes."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if sample and sample.count(b"\x00") > len(sample) // 4:
        # UTF-16 without a BOM: ASCII text has every other byte zero
        return "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
    if b"\x00" in sample:
        raise UnreadableRoster(
            "This file is not text (it contains binary data). Upload the CSV, TXT or XLSX "
            "export of the roster."
        )
    try:
        # a sample may end inside a multi-byte character: ignore only that tail
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def detect_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_roster(
    path: Path | str, *, on_progress: Callable[[int, int], None] | None = None
) -> Iterator[RawRecord]:
    """Yield the records of a roster file, mapped to Summit's fields, in file order.

    Raises :class:`UnreadableRoster` when the file cannot be read at all (also
    midway: the caller applies nothing until the whole file is read).
    ``on_progress(bytes_read, total_bytes)`` is called as the file is consumed.
    """
    path = Path(path)
    total = path.stat().st_size
    if total == 0:
        raise UnreadableRoster("The file is empty.")
    with path.open("rb") as raw:
        head = raw.read(SAMPLE_BYTES)
        raw.seek(0)
        if head.startswith(XLSX_MAGIC):
            yield from _read_xlsx(path, on_progress, total)
            return
        encoding = detect_encoding(head)
        counting = _CountingReader(raw, (lambda n: on_progress(n, total)) if on_progress else None)
        text = io.TextIOWrapper(
            io.BufferedReader(counting, buffer_size=256 * 1024),
            encoding=encoding,
            errors="strict",
            newline="",
        )
        try:
            yield from _read_text(text)
        except UnicodeDecodeError as exc:
            raise UnreadableRoster(
                f"The file is not valid {encoding} text past byte {exc.start}. "
                "Save it again from Excel as 'CSV UTF-8' and upload that."
            ) from exc
        except csv.Error as exc:
            raise UnreadableRoster(f"The file is not a readable CSV ({exc}).") from exc


def _read_text(text: io.TextIOWrapper) -> Iterator[RawRecord]:
    first = text.readline()
    if not first.strip():
        raise UnreadableRoster("The first line is empty: it must name the columns.")
    delimiter = detect_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter))
    mapping = map_headers(header)
    csv.field_size_limit(1024 * 1024)
    reader = csv.reader(text, delimiter=delimiter)
    previous_end = first.count("\n") or 1
    for cells in reader:
        start = previous_end + 1
        previous_end = reader.line_num + (first.count("\n") or 1)
        if not any(c.strip() for c in cells):
            continue
        yield RawRecord(line=start, values=_pick(cells, mapping))


def _pick(cells: list[Any], mapping: dict[int, str]) -> dict[str, str]:
    if len(cells) > max(mapping):  # the common case: every mapped cell is there, as text
        try:
            return {field: cells[index].strip() for index, field in mapping.items()}
        except AttributeError:  # a sheet's number or None
            pass
    values = {}
    for index, field in mapping.items():
        value = cells[index] if index < len(cells) else ""
        values[field] = "" if value is None else str(value).strip()
    return values


#: bounds of an .xlsx upload, checked before openpyxl inflates anything: a 100 KB zip
#: bomb must not keep a worker busy for a minute
XLSX_MAX_UNCOMPRESSED = 1024 * 1024 * 1024
XLSX_MAX_RATIO = 200  # Excel's XML deflates about 10-30 times
XLSX_MAX_SHEETS = 100
XLSX_MAX_ROWS = 2_000_000


def _check_xlsx_bounds(path: Path) -> None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableRoster(f"This .xlsx workbook cannot be opened ({exc}).") from exc
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


def _read_xlsx(
    path: Path, on_progress: Callable[[int, int], None] | None, total: int
) -> Iterator[RawRecord]:
    import zipfile

    from openpyxl import load_workbook

    _check_xlsx_bounds(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableRoster(f"This .xlsx workbook cannot be opened ({exc}).") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise UnreadableRoster("The first sheet of the workbook is empty.")
        mapping = map_headers([_cell_text(c) for c in header])
        estimated = max(sheet.max_row or 1, 2)
        for number, row in enumerate(rows, start=2):
            if number > XLSX_MAX_ROWS:
                raise UnreadableRoster(
                    f"The sheet has more than {XLSX_MAX_ROWS:,} rows; split the roster."
                )
            if on_progress is not None and number % 1000 == 0:
                on_progress(min(total, total * number // estimated), total)
            if not any(c not in (None, "") for c in row):
                continue
            yield RawRecord(line=number, values=_pick([_cell_text(c) for c in row], mapping))
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # employee ids typed as numbers come back as 1234.0
    return str(value)
