"""The buddy's term sign-off, opened from the signed link of the email asking them (GET shows,
POST confirms). In the buddy's language, as that email (their locale, else the rollout's
region's, else English: ``app.language.person_locale``). Link problems get the one set of
link pages (``app/freshlinks/routes.py``)."""

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
from app.terms.buddies import confirm_buddy_term
from app.terms.common import BUDDY_PURPOSE, ReviewError
from app.terms.models import TermReview
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


@public_bp.get("/buddy/term/<token>")
@public
def buddy_signoff(token: str) -> Any:
    link, learner, lang = _open(token)
    review = link.obj
    term = db.session.get(Term, review.term_id)
    return _page(lang, problem=None, review=review, learner=learner, term=term, token=token)


@public_bp.post("/buddy/term/<token>")
@public
def buddy_signoff_confirm(token: str) -> Any:
    link, learner, lang = _open(token)
    review = link.obj
    try:
        confirm_buddy_term(review=review, buddy_person_id=link.claims.person_id)
    except ReviewError:
        rollback()
        return _page(lang, 403, problem="not_buddy")
    term = db.session.get(Term, review.term_id)
    return _page(
        lang, problem=None, review=review, learner=learner, term=term, token=token, done=True
    )
