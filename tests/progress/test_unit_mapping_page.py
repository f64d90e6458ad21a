"""Unmatched units placed from the import page, and the kept file applied again."""

from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.progress.models import ImportStatus, ProgressImport, UnitMapping
from tests.factories import staff
from tests.progress.helpers import FIXTURES, make_course
from tests.progress.test_import import progress

GERMAN = "moodle_completion_de.csv"  # "Ereignisgesteuertes Design" is no module's title


def upload(client, csrf_token, course, name):
    page = f"/r/de/rollouts/{course.rollout.slug}/progress"
    with (FIXTURES / name).open("rb") as fh:
        response = client.post(
            page,
            data={"csrf_token": csrf_token(page), "format": "auto", "file": (fh, name)},
            content_type="multipart/form-data",
        )
    assert response.status_code == 303
    return db.session.scalars(select(ProgressImport).order_by(ProgressImport.id.desc())).first()


def test_a_lead_maps_an_unmatched_unit_and_the_file_applies_again(
    client, login_as, run_jobs, csrf_token
):
    course = make_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    record = upload(client, csrf_token, course, GERMAN)
    run_jobs()
    page = f"/r/de/progress/imports/{record.id}"
    html = client.get(page).get_data(as_text=True)
    assert "Ereignisgesteuertes Design" in html
    assert '<option value="ignore">Ignore this unit</option>' in html
    assert ("chloe", "m2") not in progress(course)
    m2 = course.module("m2")
    response = client.post(
        f"{page}/units",
        data={
            "csrf_token": csrf_token(page),
            "unit": ["Ereignisgesteuertes Design"],
            "module": [str(m2.id)],
        },
    )
    assert response.status_code == 303
    again = db.session.scalars(select(ProgressImport).order_by(ProgressImport.id.desc())).first()
    assert again.id != record.id
    assert response.headers["Location"].endswith(f"/r/de/progress/imports/{again.id}")
    run_jobs()
    db.session.expire_all()
    assert db.session.get(ProgressImport, again.id).status is ImportStatus.DONE
    assert progress(course)[("chloe", "m2")][:2] == (100.0, True)
    mapping = db.session.scalars(select(UnitMapping)).one()
    assert mapping.module_id == m2.id


def test_only_importers_may_map_and_only_modules_of_the_program(
    client, login_as, run_jobs, csrf_token
):
    course = make_course()
    lead = staff(Role.LOCAL_LEAD, "de")
    login_as(lead)
    record = upload(client, csrf_token, course, GERMAN)
    run_jobs()
    page = f"/r/de/progress/imports/{record.id}"
    bad = client.post(
        f"{page}/units",
        data={
            "csrf_token": csrf_token(page),
            "unit": ["Ereignisgesteuertes Design"],
            "module": ["999999"],
        },
    )
    assert bad.status_code == 400
    unknown = client.post(
        f"{page}/units",
        data={"csrf_token": csrf_token(page), "unit": ["Not in this file"], "module": ["ignore"]},
    )
    assert unknown.status_code == 400
    assert db.session.scalars(select(UnitMapping)).all() == []
    login_as(staff(Role.EXPERT, "de"))
    html = client.get(page).get_data(as_text=True)
    assert "Ignore this unit" not in html
    denied = client.post(
        f"{page}/units",
        data={
            "csrf_token": csrf_token(page),
            "unit": ["Ereignisgesteuertes Design"],
            "module": ["ignore"],
        },
    )
    assert denied.status_code == 403
    login_as(staff(Role.LOCAL_LEAD, "fr"))
    other = client.post(
        f"/r/fr/progress/imports/{record.id}/units",
        data={"csrf_token": csrf_token("/r/fr/"), "unit": ["x"], "module": ["ignore"]},
    )
    assert other.status_code == 404


def test_kept_files_go_with_a_learners_erasure(client, login_as, run_jobs, csrf_token):
    from pathlib import Path

    from app.privacy.services import erase_person

    course = make_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    record = upload(client, csrf_token, course, GERMAN)
    run_jobs()
    db.session.expire_all()
    kept = Path(db.session.get(ProgressImport, record.id).stored_path)
    assert kept.is_file()  # kept for a re-apply after mapping
    erase_person(person=course.enrollments["chloe"].person, actor=None, channel="cli")
    db.session.expire_all()
    assert not kept.exists()
    assert db.session.get(ProgressImport, record.id).stored_path == ""
    assert "no longer kept" in client.get(f"/r/de/progress/imports/{record.id}").get_data(
        as_text=True
    )
