"""One rule for text tables (app.tabular), used by rosters, progress exports and Teams
attendance reports alike.

Before, three copies had drifted: the roster decoded strictly but only looked at the first
64 KiB (a cp1252 export whose first accent came later was refused as "not valid utf-8"),
progress exports replaced undecodable bytes with U+FFFD and let charset_normalizer guess
(cp1250 for a German Excel export, the Baltic cp775 for a cp1252 one), the Teams report
decoded the whole file and guessed the same way. Delimiters: the roster counted per line,
progress asked csv.Sniffer, the Teams parser preferred any tab in 50 lines.
"""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from app.calls.attendance_report import parse_report
from app.extensions import db
from app.people.models import Person
from app.progress.formats import FormatError
from app.progress.importing import import_stream
from app.progress.texts import import_error
from app.roster.importing import import_roster_file
from app.tabular import TabularError, decode, detect_encoding, sniff_delimiter
from tests.factories import RolloutFactory
from tests.progress.helpers import make_course

ROSTER_FIXTURES = Path(__file__).parents[1] / "roster" / "fixtures"
PROGRESS_FIXTURES = Path(__file__).parents[1] / "progress" / "fixtures"
#: an ASCII start longer than the 64 KiB sample, so the first accent comes after it
LONG_ASCII = "".join(f"E-{i},Person {i},p{i}@example.com,M-1,yes\r\n" for i in range(3000))


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + "Name;Straße\r\n".encode(), "utf-8-sig"),
        ("Name;Straße\r\n".encode(), "utf-8-sig"),
        ("Name\tStraße\r\n".encode("utf-16"), "utf-16"),
        ("Name\tStraße\r\n".encode("utf-16-le"), "utf-16-le"),
        ("Name\tStraße\r\n".encode("utf-16-be"), "utf-16-be"),
        ("Name;Straße\r\n".encode("cp1252"), "cp1252"),
        (b"Name,Email\r\n", "utf-8-sig"),
    ],
)
def test_the_encoding_of_a_table(data: bytes, encoding: str) -> None:
    assert detect_encoding(data) == encoding
    assert detect_encoding(io.BytesIO(data)) == encoding


def test_utf8_is_checked_to_the_last_byte_not_in_a_sample() -> None:
    data = LONG_ASCII.encode() + "E-x,Jürgen Groß,j@example.com,M-1,yes\r\n".encode("cp1252")
    assert len(LONG_ASCII) > 64 * 1024
    raw = io.BytesIO(data)
    assert detect_encoding(raw) == "cp1252"
    assert raw.tell() == 0  # put back at the start for the reader
    assert decode(data).endswith("Jürgen Groß,j@example.com,M-1,yes\r\n")


def test_excel_cp1252_exports_are_cp1252_not_a_guess() -> None:
    """charset_normalizer took these for cp775 and cp1250."""
    for path in (
        ROSTER_FIXTURES / "excel_cp1252_semicolon.csv",
        ROSTER_FIXTURES / "hr_exports" / "personio_lohn_export_de_cp1252.csv",
        PROGRESS_FIXTURES / "SummitX_SEF_2026_grade_report_2026-11-16-0700_excel_de.csv",
    ):
        assert detect_encoding(path.read_bytes()) == "cp1252", path.name


def test_binary_data_is_no_table_and_undecodable_text_says_where() -> None:
    with pytest.raises(TabularError) as binary:
        detect_encoding(b"Name,Email\r\n\x00\x01\x02")
    assert binary.value.code == "not_text"
    with pytest.raises(TabularError) as broken:
        decode(b"Name,Email\r\nA\x81,a@example.com\r\n")  # 0x81: no cp1252 character
    assert (broken.value.code, broken.value.encoding, broken.value.byte) == (
        "bad_encoding",
        "cp1252",
        13,
    )


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [
        ("Employee ID,Name,Email\r\n", ","),
        ("Personalnummer;Name;E-Mail\r\n", ";"),
        ("Name\tEmail\tJoin time\r\n", "\t"),
        ('"Name, full";"Email";"Manager"\r\n', ";"),  # commas inside quotes are text
        ('"Müller; Anna",anna@example.com,Manager\r\n', ","),
        ("Smith, Anna\tJoined\t11/26/2026, 9:58:12 AM\r\n", "\t"),  # a Teams row
        ("Name;Email,Address,Other;Last\r\n", ","),
        ("Name;Address,Email\r\n", ","),  # a tie: comma
        ("Title of the report\r\n", ","),
    ],
)
def test_the_delimiter_of_a_table(line: str, delimiter: str) -> None:
    assert sniff_delimiter(line) == delimiter


def test_a_roster_whose_first_accent_is_past_the_sample_imports(tmp_path: Path) -> None:
    """The roster refused it ("not valid utf-8 past byte 90,000")."""
    rollout = RolloutFactory()
    head = "Employee ID,Name,Email,Manager,Learner\r\nM-1,Greta,greta@example.com,,no\r\n"
    path = tmp_path / "late_accent.csv"
    path.write_bytes(
        (head + LONG_ASCII + "E-x,Jürgen Groß,jurgen@example.com,M-1,yes\r\n").encode("cp1252")
    )
    import_roster_file(path, region=rollout.region, rollout=rollout)
    db.session.flush()
    person = db.session.scalars(select(Person).where(Person.employee_id == "E-x")).one()
    assert person.name == "Jürgen Groß"


def test_a_progress_export_with_a_byte_that_is_no_text_is_refused_saying_where() -> None:
    """Progress exports read it with U+FFFD in place of the byte."""
    course = make_course()
    data = (
        b"employee_id,email,module,percent,completed,observed_at\r\n"
        b"E1001,,m1,100,true,2026-10-01T09:00:00+02:00\r\n"
    ) + b"E1002,,m\x81,50,false,2026-10-01T09:00:00+02:00\r\n"
    with pytest.raises(FormatError) as refused:
        import_stream(region=course.rollout.region, rollout=course.rollout, raw=io.BytesIO(data))
    assert refused.value.code == "bad_encoding|cp1252|110"
    assert import_error(refused.value.code, "en").startswith(
        "the file is not valid cp1252 text past byte 110."
    )
    assert "Byte 110" in import_error(refused.value.code, "de")
    assert "l'octet 110" in import_error(refused.value.code, "fr")


def test_a_teams_report_without_its_bom_and_with_commas_in_dates() -> None:
    text = (
        "Full Name\tUser Action\tTimestamp\r\n"
        "Smith, Anna\tJoined\t11/26/2026, 9:58:12 AM\r\n"
        "Smith, Anna\tLeft\t11/26/2026, 10:40:02 AM\r\n"
    )
    name, rows = parse_report(text.encode("utf-16-le"))
    assert name == "teams-legacy"
    assert [row.name for row in rows] == ["Smith, Anna"]
