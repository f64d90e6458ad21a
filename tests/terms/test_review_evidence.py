"""The evidence on the free-rider review: figures, risk order, a required reason, region
scope, and the progress page telling the same story as the dashboard."""

import re
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from app.approvals.models import AllocationStatus, TimeAllocation
from app.audit.models import AuditEvent
from app.auth.models import Role
from app.calls.models import CallAttendance, CallSession
from app.extensions import db
from app.progress.models import ModuleProgress
from app.rollouts.models import EnrollmentState
from app.terms.closing import close_term
from app.terms.models import Verdict
from tests.factories import staff
from tests.progress.helpers import make_course
from tests.terms.helpers import complete, progress_imported
from tests.terms.test_review import CLOSE, decide, page, review_of


def calls_held(course, n):
    term = course.program.terms[0]
    sessions = []
    for i in range(n):
        day = term.starts_on + timedelta(days=3 * i)
        s = CallSession(
            region_id=course.rollout.region_id,
            rollout_id=course.rollout.id,
            series_date=day,
            starts_at=datetime.combine(day, time(9), tzinfo=UTC),
        )
        db.session.add(s)
        sessions.append(s)
    db.session.flush()
    return sessions


def attended(course, who, sessions):
    enrollment = course.enrollments[who]
    for s in sessions:
        db.session.add(
            CallAttendance(
                region_id=enrollment.region_id,
                session_id=s.id,
                enrollment_id=enrollment.id,
                attended=True,
                minutes=45,
            )
        )
    db.session.flush()


def evidence_course(code="de", slug="sef-test"):
    course = make_course(code, slug=slug)
    complete(course, "ada", "m1", "m2")
    complete(course, "chloe", "m1", at=datetime(2026, 9, 20, 10, tzinfo=UTC))
    sessions = calls_held(course, 9)
    attended(course, "ben", sessions[:8])
    ben = course.enrollments["ben"]
    db.session.add(
        TimeAllocation(
            region_id=ben.region_id,
            enrollment_id=ben.id,
            manager_id=ben.person.manager_id,
            status=AllocationStatus.APPROVED,
            hours_requested=2.0,
            decided_at=datetime(2026, 9, 3, 8, tzinfo=UTC),
        )
    )
    progress_imported(course, datetime(2026, 10, 11, 6, tzinfo=UTC))
    close_term(
        region=course.rollout.region,
        rollout=course.rollout,
        term=course.program.terms[0],
        now=CLOSE,
    )
    return course


def row_of(html, employee_id):
    match = re.search(rf'<tr data-learner="{employee_id}">(.*?)</tr>', html, re.S)
    assert match, employee_id
    return match.group(1)


def cell(row, name):
    match = re.search(rf"<td[^>]*data-{name}>(.*?)</td>", row, re.S)
    assert match, name
    return re.sub(r"<[^>]+>", " ", match.group(1)).split()


def test_the_evidence_of_a_learner_with_8_of_9_calls_and_no_module(client, login_as):
    course = evidence_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get(f"{page(course)}/review").get_data(as_text=True)
    ben = row_of(html, "E1002")
    assert cell(ben, "modules") == ["0", "/", "2"]
    assert cell(ben, "calls") == ["8", "/", "9"]
    # the last call he attended (the eighth, 21 days after the term started)
    assert "Sep" in " ".join(cell(ben, "last-activity")) or "28" in " ".join(
        cell(ben, "last-activity")
    )
    assert "time approved" in " ".join(cell(ben, "manager"))
    chloe = row_of(html, "E1003")
    assert cell(chloe, "modules") == ["1", "/", "2"]
    assert cell(chloe, "calls") == ["0", "/", "9"]
    dev = row_of(html, "E1004")
    assert "none seen" in " ".join(cell(dev, "last-activity"))
    assert "never asked" in " ".join(cell(dev, "manager"))
    # the date of the progress data at the top
    assert "Progress as of" in html and "data-freshness" in html


def test_the_riskiest_come_first_and_name_sorts_too(client, login_as):
    course = evidence_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get(f"{page(course)}/review").get_data(as_text=True)
    order = re.findall(r'<tr data-learner="(E\d+)">', html)
    # Dev: 2 short, no call; Ben: 2 short, 8 calls; Chloé: 1 short
    assert order == ["E1004", "E1002", "E1003"]
    assert 'aria-sort="descending"' in html
    html = client.get(f"{page(course)}/review?sort=name").get_data(as_text=True)
    assert re.findall(r'<tr data-learner="(E\d+)">', html) == ["E1002", "E1003", "E1004"]
    assert 'aria-sort="ascending"' in html


def test_evidence_reads_a_set_not_a_row_at_a_time(client):
    """The number of statements does not grow with the candidates on the page."""
    from sqlalchemy import event

    from app.terms.evidence import candidate_evidence

    course = evidence_course()
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        rows = candidate_evidence(
            rollout_id=course.rollout.id,
            program=course.program,
            term=course.program.terms[0],
            now=CLOSE,
            page=1,
            per_page=50,
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(rows) == 3
    assert len(statements) <= 3  # calls held, the candidates with figures, the decisions


def test_keeping_a_learner_needs_a_reason_which_is_recorded_and_shown(client, login_as, csrf_token):
    course = evidence_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    decide(client, csrf_token, course, "ben", decision="excuse", reason="leave", note="  ")
    db.session.expire_all()
    assert review_of(course, "ben").verdict is Verdict.FREE_RIDER_CANDIDATE
    decide(
        client,
        csrf_token,
        course,
        "ben",
        decision="excuse",
        reason="leave",
        note="8 of 9 calls: on parental leave since September",
    )
    db.session.expire_all()
    review = review_of(course, "ben")
    assert review.verdict is Verdict.EXCUSED
    assert review.excuse_note == "8 of 9 calls: on parental leave since September"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "term.excused")).one()
    assert event.data["note"] == "8 of 9 calls: on parental leave since September"
    html = client.get(f"{page(course)}/review").get_data(as_text=True)
    reviewed = html.split("data-reviewed", 1)[1]
    assert "Ben Okafor" in reviewed and "parental leave since September" in reviewed


def test_confirming_needs_a_reason_too(client, login_as, csrf_token):
    course = evidence_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    decide(client, csrf_token, course, "dev", decision="confirm", note="")
    db.session.expire_all()
    assert review_of(course, "dev").verdict is Verdict.FREE_RIDER_CANDIDATE


def test_another_regions_learners_are_never_shown(client, login_as):
    evidence_course()
    other = evidence_course("fr", slug="sef-fr")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    assert client.get(f"{page(other)}/review").status_code == 404
    html = client.get("/r/de/rollouts/sef-test/terms/1/review").get_data(as_text=True)
    assert "E1002-fr" not in html and "E1002" in html


def test_the_progress_page_agrees_with_the_dashboard(client, login_as):
    """Progress from xAPI only (no file import): the page says where it came from and
    counts the completed learners as the dashboard does."""
    course = make_course()
    ada = course.enrollments["ada"]
    complete(course, "ada", "m1", "m2")
    # progress rows written by xAPI statements: no file import at all
    for row in db.session.scalars(select(ModuleProgress)):
        row.source = "xapi"
    ada.transition(EnrollmentState.COMPLETED)
    db.session.flush()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get(f"/r/de/rollouts/{course.rollout.slug}/progress").get_data(as_text=True)
    assert "No import yet" not in html
    assert "No file was imported" in html
    assert "Progress as of" in html
    dashboard = client.get(f"/r/de/rollouts/{course.rollout.slug}").get_data(as_text=True)
    assert "1 learner completed the program" in html
    assert dashboard  # the dashboard renders on the same data


def test_a_rollout_without_any_progress_still_says_no_import_yet(client, login_as):
    course = make_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get(f"/r/de/rollouts/{course.rollout.slug}/progress").get_data(as_text=True)
    assert "No import yet" in html and "0 learners completed" in html
