"""An .xlsx upload is bounded before openpyxl inflates it (issue 18): a zip bomb of about
100 KB, built from the openpyxl-written workbook of the fixtures, is refused at once with a
clear reason instead of keeping a worker busy."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest

from app.roster.errors import UnreadableRoster
from app.roster.files import read_roster

WORKBOOK = Path(__file__).parent / "fixtures" / "workday_export.xlsx"
ROW = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'


def _bomb(tmp_path: Path, rows: int) -> Path:
    """The fixture workbook, its first sheet swollen by ``rows`` identical rows."""
    target = tmp_path / "roster.xlsx"
    with (
        zipfile.ZipFile(WORKBOOK) as source,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out,
    ):
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                head, tail = data.split(b"</sheetData>")
                data = head + ROW * rows + b"</sheetData>" + tail
            out.writestr(member.filename, data)
    return target


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path) -> None:
    bomb = _bomb(tmp_path, 700_000)
    assert bomb.stat().st_size < 120 * 1024
    started = time.monotonic()
    with pytest.raises(UnreadableRoster, match="unpacks to far more"):
        list(read_roster(bomb))
    assert time.monotonic() - started < 2


def test_the_fixture_workbook_still_reads(tmp_path) -> None:
    assert len(list(read_roster(WORKBOOK))) >= 1
