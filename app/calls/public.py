"""The learner's question page, opened from the signed link of a call's question prompt
(GET shows the form, POST stores the question). Its link problems get the one set of
link pages (``app/freshlinks/routes.py``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from app.auth.access import public
from app.calls import emails, queries
from app.calls.forms import QuestionForm
from app.calls.models import CallSession
from app.calls.questions import QuestionRefused, enrollment_for, submit_question
from app.calls.services import QUESTION_PURPOSE
from app.db import utcnow
from app.language import person_locale, speak_to
from app.links.services import LinkInvalid, open_link
from app.people.models import Person
from app.transaction import rollback

public_bp = Blueprint("calls_public", __name__)


@public_bp.route("/calls/questions/<int:region_id>/<token>", methods=["GET", "POST"])
@public
def question_form(region_id: int, token: str) -> Any:
    """The learner's page: GET shows the form, POST stores the question."""
    link = open_link(
        token,
        purpose=QUESTION_PURPOSE,
        model=CallSession,
        person_model=Person,
        region_id=region_id,
    )
    session, person = link.obj, link.person
    enrollment = enrollment_for(session, person.id)
    if enrollment is None:
        raise LinkInvalid(link.claims)
    # the refusals below are written to the learner, in their language
    speak_to(person)
    form = QuestionForm()
    error = None
    saved = False
    if request.method == "POST":
        try:
            submit_question(
                region=session.rollout.region,
                session=session,
                person=person,
                text=form.text.data or "",
                blocked=form.blocked,
            )
            saved = True
        except QuestionRefused as exc:
            rollback()
            error = str(exc)
    return render_template(
        "calls/question_form.html",
        session=session,
        person=person,
        rollout=session.rollout,
        mine=queries.questions_of(session_id=session.id, enrollment_id=enrollment.id),
        error=error,
        saved=saved,
        closed=session.cancelled or session.starts_at <= utcnow(),
        when=emails.when(
            session.starts_at,
            zone=person.time_zone or session.rollout.region.time_zone,
            locale=person_locale(person, session.rollout.region),
        ),
        form_text=form.text.data or "" if error else "",
    ), (422 if error else 200)
