"""A connector's sync is progress data with its own time: the dashboard says "from the Moodle
sync" at the time the sync last ran successfully, and the sponsor report names the sync in
its language.

Fails on the main before this work: the freshness line kept naming the older file import
("from the Open edX file import"), as if the sync had brought nothing newer.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app.connectors.models import Connector, RunStatus
from app.extensions import db
from app.progress.queries import as_of_text, progress_freshness
from app.reports.models import Report
from app.reports.services import build_week
from tests.connectors.conftest import runs
from tests.connectors.test_lrs import ACTIVITY
from tests.connectors.test_lrs import _configure as configure_lrs
from tests.connectors.test_moodle import _configure as configure_moodle
from tests.connectors.test_moodle import _setup as setup_moodle
from tests.progress.helpers import TITLES
from tests.terms.helpers import progress_imported


def test_the_dashboard_dates_progress_by_the_last_successful_sync(
    client, lead, course, moodle, run_jobs
):
    progress_imported(course, datetime(2026, 10, 1, 9, tzinfo=UTC))
    db.session.commit()
    setup_moodle(moodle)
    configure_moodle(client, course, moodle)
    run_jobs()
    (run,) = runs(course)
    assert run.status is RunStatus.OK, run.error
    synced = db.session.scalars(select(Connector)).one().last_success_at
    fresh = progress_freshness([course.rollout.id])[course.rollout.id]
    assert (fresh.source, fresh.as_of) == ("moodle-sync", synced)
    html = client.get(f"/r/de/rollouts/{course.rollout.slug}").get_data(as_text=True)
    shown = as_of_text(synced, zone="Europe/Berlin", locale="en")  # the page's language
    assert f"Progress as of {shown}, from the Moodle sync." in html


def test_a_failed_sync_does_not_make_the_data_newer(client, lead, course, moodle, run_jobs):
    progress_imported(course, datetime(2026, 10, 1, 9, tzinfo=UTC))
    db.session.commit()
    setup_moodle(moodle)
    configure_moodle(client, course, moodle, token="wrong-token")
    run_jobs()
    assert runs(course)[-1].status is RunStatus.FAILED
    fresh = progress_freshness([course.rollout.id])[course.rollout.id]
    assert (fresh.source, fresh.as_of) == ("openedx", datetime(2026, 10, 1, 9, tzinfo=UTC))


def test_the_sponsor_report_names_the_sync_in_its_language(client, lead, course, lrs, run_jobs):
    lrs.add("Ada.Lovelace@example.com", "completed", f"{ACTIVITY}m1", name=TITLES[0])
    configure_lrs(client, course, lrs)
    run_jobs()
    assert runs(course)[-1].status is RunStatus.OK
    build_week(week="2026-W48")
    report = db.session.scalars(
        select(Report).where(Report.region_id == course.rollout.region_id)
    ).one()
    assert ", aus der LRS-Synchronisierung." in report.text
