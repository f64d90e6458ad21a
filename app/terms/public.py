"""The buddy's term sign-off, opened from the signed link of the email asking them (GET
shows, POST answers: confirm / not yet / I can't judge, with a note). In the buddy's
language, as that email. Only the partner's buddy sees the partner's progress; link
problems get the one set of link pages (``app/freshlinks/routes.py``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from app.auth.access import public
from app.extensions import db
from app.language import person_locale
from app.links.services import LinkInvalid, OpenedLink, open_link
from app.people.models import Person
from app.programs.models import Term
from app.rollouts.models import Enrollment
from app.terms.buddy_answers import answer_buddy_term, buddy_of, partner_progress
from app.terms.common import BUDDY_PURPOSE, ReviewError
from app.terms.forms import BuddyAnswerForm
from app.terms.models import BuddyAnswer, TermReview
from app.transaction import rollback

public_bp = Blueprint("terms_public", __name__)


def _open(token: str) -> tuple[OpenedLink[TermReview], Enrollment, str]:
    """The review the link names, its learner and the buddy's language."""
    link = open_link(token, purpose=BUDDY_PURPOSE, model=TermReview, person_model=Person)
    learner = db.session.get(Enrollment, link.obj.enrollment_id)
    if learner is None:
        raise LinkInvalid(link.claims)
    return link, learner, person_locale(link.person, learner.rollout.region)


def _page(lang: str, status: int = 200, **context: Any) -> Any:
    page = render_template("terms/buddy_signoff.html", page_lang=lang, **context)
    return page, status


def _show(token: str, *, error: str | None = None, done: bool = False) -> Any:
    link, learner, lang = _open(token)
    review = link.obj
    try:
        buddy_of(review, link.claims.person_id)
    except ReviewError:
        return _page(lang, 403, problem="not_buddy")
    term = db.session.get(Term, review.term_id)
    assert term is not None
    return _page(
        lang,
        400 if error else 200,
        problem=None,
        review=review,
        learner=learner,
        term=term,
        program=learner.rollout.program,
        modules=partner_progress(learner, term),
        answers=list(BuddyAnswer),
        error=error,
        done=done,
    )


@public_bp.get("/buddy/term/<token>")
@public
def buddy_signoff(token: str) -> Any:
    return _show(token)


@public_bp.post("/buddy/term/<token>")
@public
def buddy_signoff_confirm(token: str) -> Any:
    link, _, lang = _open(token)
    form = BuddyAnswerForm()
    try:
        answer = BuddyAnswer(form.answer.data or "")
    except ValueError:
        return _show(token, error="answer_missing")
    try:
        answer_buddy_term(
            review=link.obj,
            buddy_person_id=link.claims.person_id,
            answer=answer,
            note=form.note.data or "",
        )
    except ReviewError:
        rollback()
        return _page(lang, 403, problem="not_buddy")
    return _show(token, done=True)
