"""The buddy's real question (issue 25): the page shows the program, the term's modules and
the partner's progress; "not yet" and "I can't judge" reach the local lead with the note."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.links.services import make_action_url
from app.terms.buddies import due_buddy_signoffs
from app.terms.common import BUDDY_PURPOSE
from tests.factories import staff
from tests.progress.helpers import make_course
from tests.terms.helpers import complete
from tests.terms.test_buddy import AFTER_TERM, review_of


def _path(course, who: str = "ada", of: str = "ben") -> str:  # type: ignore[no-untyped-def]
    return make_action_url(
        endpoint="terms_public.buddy_signoff",
        purpose=BUDDY_PURPOSE,
        person_id=course.enrollments[who].person_id,
        object_id=review_of(course, of).id,
    ).removeprefix("http://summit.test")


def test_the_page_shows_the_terms_modules_and_only_the_partners_progress(client) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    due_buddy_signoffs(region=course.rollout.region, now=AFTER_TERM)
    complete(course, "ben", "m1")
    complete(course, "ada", "m1", "m2")  # Ada's own progress is not Ben's
    db.session.commit()
    html = client.get(_path(course)).get_data(as_text=True)
    assert course.rollout.program.title in html
    term = course.rollout.program.terms[0]
    for module in term.required_modules:
        assert module.title in html
    assert html.count("abgeschlossen") == 1  # Ben completed one of the two modules
    assert "Ja, ich bestätige" in html and "Das kann ich nicht beurteilen" in html


def test_not_yet_reaches_the_local_lead_with_the_note(client, login_as) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    due_buddy_signoffs(region=course.rollout.region, now=AFTER_TERM)
    db.session.commit()
    path = _path(course)
    page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]  # type: ignore[index]
    assert client.post(path, data={"csrf_token": token}).status_code == 400  # no answer
    form = {"csrf_token": token, "answer": "not_yet", "note": "Module 2 is still open"}
    assert client.post(path, data=form).status_code == 200
    assert client.post(path, data=form).status_code == 200  # the second click: nothing new
    db.session.expire_all()
    review = review_of(course, "ben")
    assert review.buddy_answer == "not_yet" and review.buddy_confirmed_at is None
    assert review.buddy_note == "Module 2 is still open"
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "term.buddy_not_yet")
    ).all()
    assert len(events) == 1
    login_as(staff(Role.LOCAL_LEAD, "de"))
    term = course.rollout.program.terms[0]
    html = client.get(f"/r/de/rollouts/{course.rollout.slug}/terms/{term.number}/review").get_data(
        as_text=True
    )
    section = html[html.index('id="buddy-answers"') :]
    assert "Ben Okafor" in section and "Module 2 is still open" in section
    # later, the buddy confirms after all: the lead's list empties, the sign-off counts
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert (
        client.post(path, data={**form, "csrf_token": fresh[1], "answer": "confirmed"}).status_code
        == 200
    )  # type: ignore[index]
    db.session.expire_all()
    assert review_of(course, "ben").buddy_confirmed_by_id == course.enrollments["ada"].id
