import re
from datetime import UTC, datetime

import time_machine
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.links.services import make_action_url
from app.terms.buddies import due_buddy_signoffs
from app.terms.common import BUDDY_PURPOSE
from app.terms.models import TermReview
from tests.factories import staff
from tests.progress.helpers import make_course

AFTER_TERM = datetime(2026, 10, 6, 7, tzinfo=UTC)


def review_of(course, who):
    return db.session.scalars(
        select(TermReview).where(TermReview.enrollment_id == course.enrollments[who].id)
    ).one()


def link_in(message):
    text = next(p.get_content() for p in message.walk() if p.get_content_type() == "text/plain")
    return re.search(r"http://summit\.test(/buddy/term/\S+)", text).group(1)


def test_the_sign_off_email_names_the_term_by_its_title(run_jobs, smtp_sink):
    course = make_course()
    course.program.terms[0].title = "Cloud foundations"
    db.session.flush()
    due_buddy_signoffs(region=course.rollout.region, now=AFTER_TERM)
    run_jobs()
    to_ada = smtp_sink.to("ada.lovelace@example.com")
    text = next(p.get_content() for p in to_ada[0].walk() if p.get_content_type() == "text/plain")
    assert "Cloud foundations" in to_ada[0]["Subject"] and "Cloud foundations" in text
    assert "erm 1" not in to_ada[0]["Subject"] + text


def test_each_buddy_is_asked_once_and_only_the_buddy_confirms(client, run_jobs, smtp_sink):
    course = make_course()
    assert due_buddy_signoffs(region=course.rollout.region, now=AFTER_TERM) == 4
    assert due_buddy_signoffs(region=course.rollout.region, now=AFTER_TERM) == 0
    run_jobs()
    to_ada = smtp_sink.to("ada.lovelace@example.com")
    assert len(to_ada) == 1 and "Ben Okafor" in to_ada[0]["Subject"]
    path = link_in(to_ada[0])

    # opening the link changes nothing
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Hat Ben Okafor die Arbeit für Abschnitt 1 erledigt" in html  # German region
    db.session.expire_all()
    assert review_of(course, "ben").buddy_confirmed_at is None

    token = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))[1]
    response = client.post(path, data={"csrf_token": token, "answer": "confirmed"})
    assert response.status_code == 200
    db.session.expire_all()
    review = review_of(course, "ben")
    assert review.buddy_confirmed_by_id == course.enrollments["ada"].id
    # a second click is harmless
    assert client.post(path, data={"csrf_token": token, "answer": "confirmed"}).status_code == 200


def test_a_link_for_someone_who_is_not_the_buddy_counts_for_nothing(client):
    course = make_course()
    due_buddy_signoffs(region=course.rollout.region, now=AFTER_TERM)
    db.session.commit()
    # Chloé (another pair) and Ben himself hold links to Ben's review: neither counts
    ada = make_action_url(
        endpoint="terms_public.buddy_signoff",
        purpose=BUDDY_PURPOSE,
        person_id=course.enrollments["ada"].person_id,
        object_id=review_of(course, "ben").id,
    ).removeprefix("http://summit.test")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(ada).get_data(as_text=True))[
        1
    ]
    for who in ("chloe", "ben"):
        url = make_action_url(
            endpoint="terms_public.buddy_signoff",
            purpose=BUDDY_PURPOSE,
            person_id=course.enrollments[who].person_id,
            object_id=review_of(course, "ben").id,
        )
        path = url.removeprefix("http://summit.test")
        assert client.get(path).status_code == 403  # not even a look at Ben's progress
        form = {"csrf_token": token, "answer": "confirmed"}
        assert client.post(path, data=form).status_code == 403
    db.session.expire_all()
    assert review_of(course, "ben").buddy_confirmed_at is None


def test_expired_and_tampered_links(client):
    course = make_course()
    due_buddy_signoffs(region=course.rollout.region, now=AFTER_TERM)
    db.session.commit()
    url = make_action_url(
        endpoint="terms_public.buddy_signoff",
        purpose=BUDDY_PURPOSE,
        person_id=course.enrollments["ada"].person_id,
        object_id=review_of(course, "ben").id,
    )
    path = url.removeprefix("http://summit.test")
    assert client.get(path + "x").status_code == 404
    with time_machine.travel(
        datetime.now(UTC).replace(microsecond=0) + (AFTER_TERM - AFTER_TERM.replace(day=1)) * 5
    ):
        assert client.get(path).status_code == 410


def test_missing_confirmations_are_visible_to_the_lead(client, login_as):
    course = make_course()
    due_buddy_signoffs(region=course.rollout.region, now=AFTER_TERM)
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get(f"/r/de/rollouts/{course.rollout.slug}/terms/1/review").get_data(as_text=True)
    assert "Buddy confirmations missing (4)" in html
