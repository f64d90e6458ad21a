from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.rollouts.models import EnrollmentState
from app.rollouts.signals import enrollment_left
from app.terms.closing import close_term
from app.terms.models import TermReview, Verdict
from tests.factories import EnrollmentFactory, PersonFactory, staff
from tests.progress.helpers import make_course
from tests.terms.helpers import complete

CLOSE = datetime(2026, 10, 12, 5, tzinfo=UTC)


def closed_course(code="de", slug="sef-test"):
    course = make_course(code, slug=slug)
    complete(course, "ada", "m1", "m2")
    close_term(
        region=course.rollout.region,
        rollout=course.rollout,
        term=course.program.terms[0],
        now=CLOSE,
    )
    return course


def review_of(course, who):
    return db.session.scalars(
        select(TermReview).where(TermReview.enrollment_id == course.enrollments[who].id)
    ).one()


def page(course):
    return f"/r/{course.rollout.region.code}/rollouts/{course.rollout.slug}/terms/1"


def after_grace(run_jobs):
    """Once the confirmations' grace period is over (their emails held till then), the
    scheduler's outbox sweep queues their delivery: run it, then the jobs."""
    from app.mail.dispatch import sweep

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=11)):
        db.session.commit()
        sweep()
        run_jobs()


def decide(client, csrf_token, course, who, **form):
    url = f"{page(course)}/review/{review_of(course, who).id}"
    return client.post(url, data={"csrf_token": csrf_token(f"{page(course)}/review"), **form})


def test_the_lead_sees_the_candidates_and_excuses_one(client, login_as, csrf_token):
    course = closed_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get(f"{page(course)}/review").get_data(as_text=True)
    assert "Ben Okafor" in html and "Chloé Dubois" in html and "Ada Lovelace" not in html
    response = decide(
        client, csrf_token, course, "ben", decision="excuse", reason="leave", note="Parental leave"
    )
    assert response.status_code == 303
    db.session.expire_all()
    review = review_of(course, "ben")
    assert (review.verdict, review.excuse_reason, review.excuse_note) == (
        Verdict.EXCUSED,
        "leave",
        "Parental leave",
    )
    assert course.enrollments["ben"].state is EnrollmentState.TIME_APPROVED
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "term.excused")
        )
        == 1
    )
    # a second click changes nothing and says so
    response = decide(client, csrf_token, course, "ben", decision="confirm")
    assert response.status_code == 303
    db.session.expire_all()
    assert review_of(course, "ben").verdict is Verdict.EXCUSED
    assert "already reviewed" in client.get(f"{page(course)}/review").get_data(as_text=True)


def test_the_candidates_are_paged_by_name(client, login_as):
    """A full page as shipped: Ben and the page size less one behind him, Chloé next."""
    from app.terms.routes import PAGE

    course = make_course()
    complete(course, "ada", "m1", "m2")
    manager = course.enrollments["ben"].person.manager
    for n in range(PAGE - 1):  # between "Ben Okafor" and "Chloé Dubois" by name
        person = PersonFactory(
            region_id=course.rollout.region_id, name=f"Bz Learner {n:02d}", manager=manager
        )
        enrollment = EnrollmentFactory(rollout=course.rollout, person=person)
        enrollment.transition(EnrollmentState.COMMITTED)
        enrollment.transition(EnrollmentState.TIME_APPROVED)
    db.session.flush()
    close_term(
        region=course.rollout.region,
        rollout=course.rollout,
        term=course.program.terms[0],
        now=CLOSE,
    )
    login_as(staff(Role.LOCAL_LEAD, "de"))
    first = client.get(f"{page(course)}/review?sort=name").get_data(as_text=True)
    assert "Ben Okafor" in first and f"Bz Learner {PAGE - 2:02d}" in first
    assert "Chloé Dubois" not in first
    assert "page=2" in first and "Previous" not in first
    second = client.get(f"{page(course)}/review?sort=name&page=2").get_data(as_text=True)
    assert "Chloé Dubois" in second and "Ben Okafor" not in second
    assert "Previous" in second


def test_other_needs_a_note(client, login_as, csrf_token):
    course = closed_course()
    login_as(staff(Role.HR_PARTNER, "de"))
    decide(client, csrf_token, course, "ben", decision="excuse", reason="other", note=" ")
    db.session.expire_all()
    assert review_of(course, "ben").verdict is Verdict.FREE_RIDER_CANDIDATE


def test_an_excuse_without_a_reason_is_refused_with_the_services_message(
    client, login_as, csrf_token
):
    course = closed_course()
    login_as(staff(Role.HR_PARTNER, "de"))
    response = decide(
        client, csrf_token, course, "ben", decision="excuse", reason="illness", note="  "
    )
    assert response.status_code == 303
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "a reason is required" in shown
    db.session.expire_all()
    assert review_of(course, "ben").verdict is Verdict.FREE_RIDER_CANDIDATE


def test_excuse_with_withdrawal(client, login_as, csrf_token):
    course = closed_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    decide(
        client,
        csrf_token,
        course,
        "chloe",
        decision="excuse",
        reason="role_change",
        note="Moved to sales",
        withdraw="1",
    )
    db.session.expire_all()
    assert course.enrollments["chloe"].state is EnrollmentState.WITHDRAWN


def test_confirming_removes_the_learner_and_tells_them_and_their_manager(
    client, login_as, csrf_token, run_jobs, smtp_sink
):
    course = closed_course()
    left = []

    def listener(sender, **kwargs):
        left.append(sender.id)

    enrollment_left.connect(listener)
    try:
        login_as(staff(Role.LOCAL_LEAD, "de"))
        decide(client, csrf_token, course, "dev", decision="confirm", note="0 of 2 modules")
    finally:
        enrollment_left.disconnect(listener)
    db.session.expire_all()
    dev = course.enrollments["dev"]
    assert dev.state is EnrollmentState.REMOVED and dev.left_at is not None
    assert left == [dev.id]
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"term.confirmed_free_rider", "enrollment.removed"} <= actions
    run_jobs()
    assert smtp_sink.to("dev.patel@example.com") == []  # held for the grace period
    after_grace(run_jobs)
    assert len(smtp_sink.to("dev.patel@example.com")) == 1
    assert len(smtp_sink.to("maria.de@example.com")) == 1


def review_everyone(client, csrf_token, course):
    decide(client, csrf_token, course, "ben", decision="excuse", reason="illness", note="Ill")
    decide(client, csrf_token, course, "chloe", decision="confirm", note="No module since May")
    decide(client, csrf_token, course, "dev", decision="confirm", note="No answer to two nudges")


def text_of(message):
    return "\n".join(
        part.get_content() for part in message.walk() if part.get_content_type().startswith("text/")
    )


def test_aggregate_policy_names_nobody_to_sponsors_anywhere(
    client, login_as, csrf_token, run_jobs, smtp_sink
):
    course = closed_course("de")  # Germany: aggregate
    login_as(staff(Role.LOCAL_LEAD, "de"))
    review_everyone(client, csrf_token, course)
    after_grace(run_jobs)
    sponsor_mail = smtp_sink.to("sponsor@example.com")
    assert len(sponsor_mail) == 1
    body = text_of(sponsor_mail[0])
    assert "2" in body
    login_as(staff(Role.SPONSOR, "de"))
    html = client.get(page(course)).get_data(as_text=True)
    csv_text = client.get(f"{page(course)}/outcome.csv").get_data(as_text=True)
    assert "removed,2" in csv_text
    for channel in (body, html, csv_text):
        for name in ("Chloé", "Dubois", "Dev Patel", "Ben Okafor", "E1003", "E1004"):
            assert name not in channel


def test_named_policy_names_the_removed_to_sponsors(
    client, login_as, csrf_token, run_jobs, smtp_sink
):
    course = closed_course("fr", slug="sef-fr-test")  # France: named
    login_as(staff(Role.LOCAL_LEAD, "fr"))
    review_everyone(client, csrf_token, course)
    after_grace(run_jobs)
    body = text_of(smtp_sink.to("sponsor@example.com")[0])
    login_as(staff(Role.SPONSOR, "fr"))
    html = client.get(page(course)).get_data(as_text=True)
    csv_text = client.get(f"{page(course)}/outcome.csv").get_data(as_text=True)
    for channel in (body, html, csv_text):
        assert "Dev Patel" in channel and "Chloé Dubois" in channel
        assert "Ben Okafor" not in channel  # excused people are never named


def test_sponsors_outcome_is_sent_once(client, login_as, csrf_token, run_jobs, smtp_sink):
    course = closed_course()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    review_everyone(client, csrf_token, course)
    decide(client, csrf_token, course, "dev", decision="confirm", note="again")  # a stray click
    after_grace(run_jobs)
    assert len(smtp_sink.to("sponsor@example.com")) == 1


def test_sponsors_and_experts_cannot_review(client, login_as):
    course = closed_course()
    login_as(staff(Role.SPONSOR, "de"))
    assert client.get(f"{page(course)}/review").status_code == 403
    assert client.post(f"{page(course)}/review/{review_of(course, 'ben').id}").status_code in (
        400,
        403,
    )
    login_as(staff(Role.EXPERT, "de"))
    assert client.get(f"{page(course)}/review").status_code == 403


@pytest.mark.parametrize("path", ["", "/review", "/outcome.csv"])
def test_another_regions_term_is_404(client, login_as, path):
    course = closed_course("fr", slug="sef-fr-test")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    assert client.get(f"/r/de/rollouts/{course.rollout.slug}/terms/1{path}").status_code == 404
    assert client.get(f"/r/fr/rollouts/{course.rollout.slug}/terms/1{path}").status_code == 404


def test_a_review_id_of_another_region_is_404(client, login_as, csrf_token):
    mine = closed_course("de")
    theirs = closed_course("fr", slug="sef-fr-test")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    token = csrf_token(f"{page(mine)}/review")
    foreign = review_of(theirs, "ben").id
    response = client.post(
        f"{page(mine)}/review/{foreign}", data={"csrf_token": token, "decision": "confirm"}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert review_of(theirs, "ben").verdict is Verdict.FREE_RIDER_CANDIDATE
