"""How old the progress data is: on the dashboard, the free-rider review and the report."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.progress.queries import is_stale, progress_freshness
from app.regions.services import RegionFileError, sync_regions
from app.reports.models import Report
from app.reports.services import build_week
from app.rollouts.models import RolloutStatus
from tests.factories import staff
from tests.progress.helpers import make_course
from tests.progress.test_import import run
from tests.regions.test_sync import GOOD
from tests.terms.helpers import progress_imported

OPENEDX = "SummitX_SEF_2026_grade_report_2026-11-02-0815.csv"


def test_an_import_dates_the_data_by_the_export_and_the_dashboard_says_so(client, login_as):
    course = make_course()
    from app.progress.models import ProgressImport
    from app.progress.services import finish

    record = ProgressImport(
        region_id=course.rollout.region_id, rollout_id=course.rollout.id, filename=OPENEDX
    )
    db.session.add(record)
    db.session.flush()
    finish(record, run(course, OPENEDX))
    fresh = progress_freshness([course.rollout.id])[course.rollout.id]
    assert fresh.as_of == datetime(2026, 11, 2, 8, 15, tzinfo=UTC)  # the report's own time
    assert fresh.source == "openedx"
    db.session.commit()
    lead = staff(Role.LOCAL_LEAD, "de")
    login_as(lead)
    html = client.get(f"/r/de/rollouts/{course.rollout.slug}").get_data(as_text=True)
    # the region's zone (Berlin), written as the page's language writes dates
    assert "Progress as of Mon, Nov 2, 09:15, from the Open edX file import." in html
    lead.locale = "de_DE"
    login_as(lead)
    html = client.get(f"/r/de/rollouts/{course.rollout.slug}").get_data(as_text=True)
    assert "Mo., 2. Nov., 09:15" in html and "Mon, Nov 2" not in html


def test_xapi_statements_are_newer_data(lrs):
    course = lrs.course
    progress_imported(course, datetime(2026, 10, 1, 9, tzinfo=UTC))
    from tests.progress.helpers import statement

    assert lrs(statement()).status_code == 200
    fresh = progress_freshness([course.rollout.id])[course.rollout.id]
    assert fresh.source == "xapi"
    assert fresh.as_of > datetime(2026, 10, 1, 9, tzinfo=UTC)


def test_stale_is_older_than_the_regions_days_or_no_data():
    course = make_course()
    region = course.rollout.region
    assert is_stale(None, region=region, now=datetime(2026, 10, 12, tzinfo=UTC))
    progress_imported(course, datetime(2026, 10, 1, 9, tzinfo=UTC))
    fresh = progress_freshness([course.rollout.id])[course.rollout.id]
    assert not is_stale(fresh, region=region, now=datetime(2026, 10, 8, 9, tzinfo=UTC))
    assert is_stale(fresh, region=region, now=datetime(2026, 10, 8, 9, 1, tzinfo=UTC))
    region.settings = {**(region.settings or {}), "progress": {"max_age_days": 14}}
    assert not is_stale(fresh, region=region, now=datetime(2026, 10, 12, tzinfo=UTC))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("de", "Fortschritt mit Stand Mo., 2. Nov., 09:15, aus dem Open-edX-Dateiimport."),
        ("fr", "progression au lun. 2 nov., 09:15, d’après l’import du fichier Open edX."),
    ],
)
def test_the_sponsor_report_says_how_old_the_progress_is_in_its_language(code, expected):
    course = make_course(code, slug=f"sef-{code}")
    course.rollout.status = RolloutStatus.LAUNCHED
    progress_imported(course, datetime(2026, 11, 2, 8, 15, tzinfo=UTC))
    build_week(week="2026-W48")
    report = db.session.scalars(
        select(Report).where(Report.region_id == course.rollout.region_id)
    ).one()
    text = report.text.replace("'", "’")
    assert expected.replace("'", "’") in text


def test_a_region_file_says_how_old_progress_may_be(tmp_path):
    (tmp_path / "jp.toml").write_text(GOOD + "\n[progress]\nmax_age_days = 0\n")
    with pytest.raises(RegionFileError) as info:
        sync_regions(directory=tmp_path)
    assert any(
        "progress.max_age_days: 0 must be days from 1 to 90" in p for p in info.value.problems
    )
    db.session.rollback()
