"""Files that are no progress export, or another platform's than chosen: refused with the
reason in the lead's language and what to do, on the web page and the command line; never a
500, a columns page for a PDF, or an import left running."""

from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.progress.models import ImportStatus, ModuleProgress, ProgressImport
from tests.factories import staff
from tests.progress.helpers import FIXTURES, make_course

ROSTER = Path(__file__).parents[1] / "roster" / "fixtures" / "utf8_bom_comma_crlf.csv"
REFUSED = FIXTURES / "refused"
CASES = [
    # (file, chosen format, stored reason, words of the German message: the format names too)
    (REFUSED / "empty.csv", "auto", "empty", "Die Datei ist leer"),
    (REFUSED / "completion_report.pdf", "auto", "pdf", "Das ist ein PDF"),
    (REFUSED / "moodle_course_completion_en.xlsx", "auto", "spreadsheet", "CSV UTF-8"),
    (ROSTER, "auto", "roster", "Teilnehmerliste"),
    (
        FIXTURES / "moodle_course_completion_en.csv",
        "openedx",
        "wrong_format|moodle|openedx",
        "Diese Datei ist ein Moodle-Abschlussbericht, kein Open-edX-Notenbericht",
    ),
    (
        FIXTURES / "SummitX_SEF_2026_grade_report_2026-11-02-0815.csv",
        "moodle",
        "wrong_format|openedx|moodle",
        "Diese Datei ist ein Open-edX-Notenbericht, kein Moodle-Abschlussbericht",
    ),
]
IDS = [f"{path.name}-{fmt}" for path, fmt, _, _ in CASES]


@pytest.mark.parametrize(("path", "fmt", "code", "words"), CASES, ids=IDS)
def test_the_upload_page_refuses_it_in_the_leads_language(
    client, login_as, run_jobs, csrf_token, path, fmt, code, words
):
    course = make_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    page = f"/r/de/rollouts/{course.rollout.slug}/progress"
    with path.open("rb") as fh:
        response = client.post(
            page,
            data={"csrf_token": csrf_token(page), "format": fmt, "file": (fh, path.name)},
            content_type="multipart/form-data",
            headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"},
        )
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    run_jobs()
    record = db.session.scalars(select(ProgressImport)).one()
    assert record.status is ImportStatus.FAILED
    assert record.error == code
    assert not Path(record.stored_path).exists()
    assert db.session.scalars(select(ModuleProgress)).first() is None
    french = client.get(
        f"/r/de/progress/imports/{record.id}", headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)
    assert "L&#39;import a échoué" in french


@pytest.mark.parametrize(("path", "fmt", "code", "words"), CASES, ids=IDS)
def test_the_command_line_refuses_it(runner, path, fmt, code, words):
    course = make_course()
    db.session.commit()
    result = runner.invoke(
        args=["progress", "import", str(path), "--rollout", course.rollout.slug, "--format", fmt]
    )
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "Traceback" not in result.output
    assert db.session.scalars(select(ModuleProgress)).first() is None
