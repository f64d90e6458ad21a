"""The "progress as of" line from the progress rows themselves: when no import, statement or sync
dates a rollout's data, its newest progress row does, found per rollout (issue 26: an index
probe, not a sort of the region's rows), never another rollout's, whichever channel wrote it."""

from datetime import UTC, datetime

from sqlalchemy import delete, event, select

from app.auth.models import Role
from app.extensions import db
from app.progress.models import ModuleProgress, ProgressImport, XapiStatement
from app.progress.queries import progress_freshness
from app.rollouts.models import RolloutStatus
from tests.factories import EnrollmentFactory, RolloutFactory, staff
from tests.progress.helpers import make_course, statement
from tests.progress.test_import import run
from tests.terms.helpers import complete

OPENEDX = "SummitX_SEF_2026_grade_report_2026-11-02-0815.csv"


def test_a_rollout_without_progress_is_missing_and_its_dashboard_says_so(client, login_as):
    course = make_course()
    assert progress_freshness([course.rollout.id]) == {}
    db.session.commit()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get(f"/r/de/rollouts/{course.rollout.slug}").get_data(as_text=True)
    assert "No progress data yet" in html


def test_the_newest_row_dates_the_data_and_names_its_channel():
    course = make_course()
    complete(course, "ada", "m1", at=datetime(2026, 9, 15, 10, tzinfo=UTC))
    complete(course, "ben", "m1", "m2", at=datetime(2026, 10, 3, 8, 30, tzinfo=UTC))
    complete(course, "chloe", "m1", at=datetime(2026, 9, 20, 10, tzinfo=UTC))
    fresh = progress_freshness([course.rollout.id])[course.rollout.id]
    assert (fresh.as_of, fresh.source, fresh.from_file) == (
        datetime(2026, 10, 3, 8, 30, tzinfo=UTC),
        "summit",
        True,
    )


def test_another_rollouts_newer_progress_does_not_leak():
    course = make_course()
    # a second rollout in the same region, one learner in both, its progress newer
    other = RolloutFactory(
        region_id=course.rollout.region_id, slug="sef-wave-2", status=RolloutStatus.LAUNCHED
    )
    again = EnrollmentFactory(rollout=other, person=course.enrollments["ada"].person)
    empty = RolloutFactory(region_id=course.rollout.region_id, slug="sef-wave-3")
    db.session.flush()
    complete(course, "ada", "m1", at=datetime(2026, 9, 15, 10, tzinfo=UTC))
    db.session.add(
        ModuleProgress(
            region_id=again.region_id,
            rollout_id=other.id,
            enrollment_id=again.id,
            module_id=other.program.modules[0].id,
            percent=40.0,
            completed=False,
            observed_at=datetime(2026, 11, 20, 7, tzinfo=UTC),
            source="moodle",
        )
    )
    db.session.flush()
    both = progress_freshness([course.rollout.id, other.id, empty.id])
    assert both[course.rollout.id].as_of == datetime(2026, 9, 15, 10, tzinfo=UTC)
    assert (both[other.id].as_of, both[other.id].source) == (
        datetime(2026, 11, 20, 7, tzinfo=UTC),
        "moodle",
    )
    assert empty.id not in both
    alone = progress_freshness([course.rollout.id])[course.rollout.id]
    assert alone.as_of == datetime(2026, 9, 15, 10, tzinfo=UTC)


def test_rows_written_by_xapi_alone_date_the_data_as_statements(lrs):
    course = lrs.course
    assert lrs(statement()).status_code == 200
    # the statements themselves gone (only their progress rows left)
    db.session.execute(delete(XapiStatement))
    (row,) = db.session.scalars(select(ModuleProgress)).all()
    assert row.rollout_id == course.rollout.id
    fresh = progress_freshness([course.rollout.id])[course.rollout.id]
    assert (fresh.as_of, fresh.source, fresh.from_file) == (
        row.observed_at.replace(tzinfo=UTC) if row.observed_at.tzinfo is None else row.observed_at,
        "xapi",
        False,
    )


def test_rows_merged_by_the_staging_path_date_the_data_without_their_import():
    """File imports and connector syncs write through the same staging merge."""
    course = make_course()
    run(course, OPENEDX)
    db.session.execute(delete(ProgressImport))
    rollouts = set(db.session.scalars(select(ModuleProgress.rollout_id)))
    assert rollouts == {course.rollout.id}
    newest = max(
        r if r.tzinfo else r.replace(tzinfo=UTC)
        for r in db.session.scalars(select(ModuleProgress.observed_at))
    )
    fresh = progress_freshness([course.rollout.id])[course.rollout.id]
    assert (fresh.as_of, fresh.source) == (newest, "openedx")


def test_the_review_and_the_progress_page_ask_for_the_freshness_once(client, login_as):
    """Both show the "as of" line and use it again (the stale-close form, the empty-list
    text): one "progress as of" per request, not one per use."""
    course = make_course()
    complete(course, "ada", "m1", at=datetime(2026, 9, 20, 9, tzinfo=UTC))
    db.session.commit()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    slug = course.rollout.slug
    seen: list[str] = []

    def count(conn, cursor, statement, *args: object) -> None:
        seen.append(statement)

    for url in (f"/r/de/rollouts/{slug}/terms/1/review", f"/r/de/rollouts/{slug}/progress"):
        seen.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            html = client.get(url).get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert "Progress as of" in html
        # each "progress as of" reads the rollout's finished imports once
        assert sum("FROM progress_import" in s and "row_number" in s for s in seen) == 1, url
