"""Text tables: as people export them (HR rosters, course-platform reports, Teams
attendance): which encoding, which delimiter, one rule for every upload; and the CSV files
Summit writes (:func:`write_csv`): headers in the reader's words, values machine numbers.

Encoding, in this order:

- a byte-order mark says it: UTF-8 (``utf-8-sig``) or UTF-16 (Excel's "Unicode text");
- UTF-16 without a mark is recognised by its zero bytes (ASCII text has every other byte 0);
- any other zero byte means the file is not text (:class:`TabularError` ``not_text``);
- a file that is valid UTF-8 from its first byte to its last is UTF-8: the whole file is
  checked, streamed, so an accented name on line 200,000 of an otherwise ASCII export counts;
- anything else is cp1252, what Excel writes as "CSV" on Windows in Western Europe and the
  Americas. (A guess from a sample, charset_normalizer's, took a German cp1252 export for
  cp1250 and a semicolon export for the Baltic cp775.)

Text is decoded strictly: a byte that is not text in that encoding refuses the file and says
where (``bad_encoding``). A replacement character in a name or an email would quietly make
another person of them.

Delimiter: a tab when one stands outside quotes (tabs do not occur in the text of cells,
and a Teams report's dates hold commas), else the more frequent of semicolon and comma
outside quotes, comma on a tie (:func:`sniff_delimiter`).
"""

from __future__ import annotations

import codecs
import csv
import enum
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO

#: bytes read to recognise a file (BOMs, UTF-16 zero bytes, binary data)
SAMPLE_BYTES = 64 * 1024
#: the chunk the UTF-8 check reads at a time (memory stays bounded)
_CHUNK = 1024 * 1024
#: the code page of a text table that is not UTF-8 or UTF-16
LEGACY_ENCODING = "cp1252"
#: candidate delimiters, in the order a tie is settled (after a tab, which wins when present)
DELIMITERS = (",", ";")


class TabularError(ValueError):
    """A file that is no text table: ``code`` is ``not_text`` or ``bad_encoding`` (then with
    the ``encoding`` tried and the ``byte`` where it failed)."""

    def __init__(
        self, message: str, code: str, *, encoding: str | None = None, byte: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.encoding = encoding
        self.byte = byte


def _signature(sample: bytes) -> str | None:
    """The encoding a file's first bytes show (a BOM, UTF-16's zero bytes), or None."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if sample and sample.count(b"\x00") > len(sample) // 4:
        return "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
    if b"\x00" in sample:
        raise TabularError("The file is not text (it contains binary data).", "not_text")
    return None


def check_text(sample: bytes) -> None:
    """Raise TabularError ``not_text`` when a file's first bytes are binary data."""
    _signature(sample)


def _is_utf8(raw: BinaryIO) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := raw.read(_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(source: bytes | BinaryIO) -> str:
    """The encoding of a text table (see the module's rule), from its bytes or from a
    seekable binary file (read from its start, then put back there)."""
    if isinstance(source, bytes | bytearray):
        raw: BinaryIO = io.BytesIO(source)
    else:
        raw = source
        raw.seek(0)
    try:
        found = _signature(raw.read(SAMPLE_BYTES))
        if found is None:
            raw.seek(0)
            # utf-8-sig reads UTF-8 with or without a BOM
            found = "utf-8-sig" if _is_utf8(raw) else LEGACY_ENCODING
    finally:
        raw.seek(0)
    return found


def bad_encoding(exc: UnicodeDecodeError, encoding: str, offset: int = 0) -> TabularError:
    """The refusal for text that stopped decoding (``offset``: bytes before the failed chunk)."""
    byte = offset + exc.start
    return TabularError(
        f"The file is not valid {encoding} text past byte {byte}.",
        "bad_encoding",
        encoding=encoding,
        byte=byte,
    )


def open_text(raw: BinaryIO, encoding: str | None = None) -> io.TextIOWrapper:
    """``raw`` as strictly decoded text (``encoding`` detected when not given), newlines kept
    for the csv module. A byte that does not decode raises UnicodeDecodeError while reading:
    turn it into a refusal with :func:`bad_encoding`."""
    return io.TextIOWrapper(
        raw,  # type: ignore[arg-type]
        encoding=encoding or detect_encoding(raw),
        errors="strict",
        newline="",
    )


def decode(data: bytes) -> str:
    """A whole (small) file as text; TabularError when it is no text in its encoding."""
    encoding = detect_encoding(data)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise bad_encoding(exc, encoding) from None


def _outside_quotes(text: str) -> str:
    """``text`` without its double-quoted parts (a delimiter inside quotes is cell text)."""
    return "".join(text.split('"')[::2])


def sniff_delimiter(text: str) -> str:
    """The delimiter of a header line (or of a few first lines), see the module's rule."""
    bare = _outside_quotes(text)
    if "\t" in bare:
        return "\t"
    counts = {d: bare.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first on a tie
    return best if counts[best] else ","


# --- writing: the CSV files Summit hands out --------------------------------------------
# Headers are words for the reader (translated by the caller); values stay machine values
# a spreadsheet computes with: 18, 0.18, -14, 2026-12-04, never "18 %", "▲ 14" or "48,0".

#: text a spreadsheet would run as a formula (OWASP "CSV injection")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Formula-like text with a leading apostrophe, so that it stays text."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_cell(value: object) -> str:
    """One cell: a number as a plain machine number (a negative one stays negative), a date
    or an instant in ISO 8601, an enum by its value, nothing as empty, other text
    neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return _plain_number(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        value = value.value
    return neutralise(str(value))


def _plain_number(value: float | Decimal) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        # no exponent (1e-05) and no binary noise (0.30000000000000004)
        return format(Decimal(repr(value)), "f")
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """A CSV file (RFC 4180, CRLF), one header row then the rows, in chunks of about 64 kB
    (for a streamed download of any length)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(str(h)) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A whole (small) CSV file as text: see :func:`csv_lines`."""
    return "".join(csv_lines(header, rows))
