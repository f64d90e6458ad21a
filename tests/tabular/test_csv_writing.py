"""The CSV files Summit writes (app.tabular.write_csv): one header row in the reader's words,
values a spreadsheet computes with, formula-like text neutralised (OWASP, "CSV Injection")."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

from app.approvals.models import AllocationStatus
from app.tabular import csv_cell, csv_lines, neutralise, write_csv


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_numbers_stay_numbers_and_a_negative_change_stays_negative() -> None:
    text = write_csv(
        ["Metrik", "Wert", "Veränderung"], [["Quote", 0.1833, -14], ["h", 48.0, -0.05]]
    )
    header, *rows = _read(text)
    assert header == ["Metrik", "Wert", "Veränderung"]
    assert rows == [["Quote", "0.1833", "-14"], ["h", "48", "-0.05"]]
    assert [float(r[1]) for r in rows] == [0.1833, 48.0] and float(rows[0][2]) == -14
    assert text.endswith("\r\n")  # RFC 4180


def test_text_that_a_spreadsheet_would_run_is_neutralised() -> None:
    for prefix in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_cell(f"{prefix}cmd()") == f"'{prefix}cmd()"
    assert csv_cell("=cmd()") == "'=cmd()" and csv_cell("Anna") == "Anna"
    assert csv_cell("-14") == "'-14"  # text that looks like a number is still text
    assert neutralise("=SUM(A1)") == "'=SUM(A1)"
    [[_header], [name]] = _read(write_csv(["Name"], [["=cmd()"]]))
    assert name == "'=cmd()"


def test_dates_instants_enums_and_nothing() -> None:
    assert csv_cell(date(2026, 12, 4)) == "2026-12-04"
    assert csv_cell(datetime(2026, 12, 4, 9, 30, tzinfo=UTC)) == "2026-12-04T09:30:00+00:00"
    assert csv_cell(AllocationStatus.APPROVED) == "approved"
    assert csv_cell(None) == "" and csv_cell(True) == "true"
    assert csv_cell(Decimal("2.50")) == "2.50" and csv_cell(1e-05) == "0.00001"


def test_a_long_file_streams_in_chunks_with_one_header_row() -> None:
    chunks = list(csv_lines(["n"], ([i] for i in range(30_000))))
    assert len(chunks) > 1
    rows = _read("".join(chunks))
    assert rows[0] == ["n"] and len(rows) == 30_001 and rows[-1] == ["29999"]
