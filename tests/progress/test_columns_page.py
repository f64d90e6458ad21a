"""A file in no known format: its columns shown, guessed, confirmed, remembered."""

from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.progress.models import ColumnMapping, ImportStatus, ProgressImport
from tests.factories import staff
from tests.progress.helpers import FIXTURES, make_course
from tests.progress.test_import import progress

COURSERA = "coursera_module_progress.csv"


def upload(client, csrf_token, course, name=COURSERA, fmt="auto"):
    page = f"/r/de/rollouts/{course.rollout.slug}/progress"
    with (FIXTURES / name).open("rb") as fh:
        response = client.post(
            page,
            data={"csrf_token": csrf_token(page), "format": fmt, "file": (fh, name)},
            content_type="multipart/form-data",
        )
    assert response.status_code == 303
    record = db.session.scalars(select(ProgressImport).order_by(ProgressImport.id.desc())).first()
    return record, response.headers["Location"]


def test_the_lead_sees_the_columns_confirms_the_guess_and_it_is_remembered(
    client, login_as, run_jobs, csrf_token
):
    course = make_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    record, location = upload(client, csrf_token, course)
    assert record.status is ImportStatus.NEEDS_MAPPING
    page = f"/r/de/progress/imports/{record.id}/columns"
    assert location.endswith(page)
    html = client.get(page).get_data(as_text=True)
    # the file's headers and first values
    assert '<th scope="col">Module Completed</th>' in html
    assert "ada.lovelace@example.com" in html and "Security by design" in html
    # the guess, preselected
    assert '<option value="Email" selected>' in html
    assert '<option value="Module Name" selected>' in html
    assert '<option value="Percent Complete" selected>' in html
    assert '<option value="Module Completed" selected>' in html
    assert '<option value="Last Activity Time" selected>' in html
    response = client.post(
        page,
        data={
            "csrf_token": csrf_token(page),
            "learner_column": "Email",
            "learner_kind": "email",
            "unit_column": "Module Name",
            "percent_column": "Percent Complete",
            "completed_column": "Module Completed",
            "completed_values": "Yes",
            "observed_at_column": "Last Activity Time",
        },
    )
    assert response.status_code == 303
    run_jobs()
    got = progress(course)
    assert got[("ada", "m4")][:2] == (100.0, True)
    assert got[("ben", "m5")][:2] == (30.0, False)
    remembered = db.session.scalars(select(ColumnMapping)).one()
    assert remembered.mapping["unit_column"] == "Module Name"
    # the same columns next week: imported at once, no question asked
    again, location = upload(client, csrf_token, course)
    assert location.endswith(f"/r/de/progress/imports/{again.id}")
    run_jobs()
    db.session.expire_all()
    assert db.session.get(ProgressImport, again.id).status is ImportStatus.DONE


def test_a_wrong_choice_is_refused_with_what_to_do_and_nothing_runs(
    client, login_as, run_jobs, csrf_token
):
    course = make_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    record, _ = upload(client, csrf_token, course, fmt="generic")
    page = f"/r/de/progress/imports/{record.id}/columns"
    response = client.post(
        page,
        data={
            "csrf_token": csrf_token(page),
            "learner_column": "Nope",
            "unit_column": "",
            "percent_column": "Percent Complete",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Choose one of the file&#39;s columns." in html
    assert "Choose the column that names the module." in html
    run_jobs()
    db.session.expire_all()
    assert db.session.get(ProgressImport, record.id).status is ImportStatus.NEEDS_MAPPING
    assert db.session.scalars(select(ColumnMapping)).all() == []


def test_only_importers_see_the_columns_and_other_regions_get_404(client, login_as, csrf_token):
    course = make_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    record, _ = upload(client, csrf_token, course)
    page = f"/r/de/progress/imports/{record.id}/columns"
    login_as(staff(Role.SPONSOR, "de"))
    assert client.get(page).status_code == 403
    login_as(staff(Role.LOCAL_LEAD, "fr"))
    assert client.get(f"/r/fr/progress/imports/{record.id}/columns").status_code == 404


def test_the_guess_reads_a_percent_sign_as_a_percentage():
    from app.progress.guessing import guess

    # Udemy Business's data export field for a course's progress (business-support.udemy.com,
    # "Data export report field descriptions")
    got = guess(
        ["Email", "Course Title", "% Marked Completed"],
        [["ada.lovelace@example.com", "Observability", "100"]],
    )
    assert got["percent_column"] == "% Marked Completed"
    assert got["completed_column"] == ""
    assert got["unit_column"] == "Course Title"
    assert got["learner_column"] == "Email" and got["learner_kind"] == "email"
