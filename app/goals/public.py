"""The goal survey page, reached through a signed link (GET shows, POST answers); its link
problems get the one set of link pages (``app/freshlinks/routes.py``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from app.auth.access import public
from app.goals.forms import SurveyForm
from app.goals.models import GoalAnswer
from app.goals.services import (
    COMMENT_MAX,
    SURVEY_MAX_AGE,
    SURVEY_PURPOSE,
    InvalidAnswer,
    answer_goal_survey,
)
from app.language import _, number, speak_to
from app.links.services import LinkInvalid, open_link
from app.rollouts.models import Enrollment
from app.transaction import rollback

public_bp = Blueprint("goals_public", __name__)


@public_bp.route("/goals/survey/<token>", methods=["GET", "POST"])
@public
def survey(token: str) -> Any:
    # an expired link raises LinkExpired, a broken one LinkInvalid: the one set of link pages
    link = open_link(token, purpose=SURVEY_PURPOSE, model=Enrollment, max_age=SURVEY_MAX_AGE)
    enrollment = link.obj
    if enrollment.person_id != link.claims.person_id:
        raise LinkInvalid(link.claims)
    error = None
    answer, comment = enrollment.goal_reached, enrollment.goal_comment or ""
    if request.method == "POST":
        form = SurveyForm()
        answer, comment = form.answer.data or "", form.comment.data or ""
        try:
            answer_goal_survey(enrollment, answer=answer, comment=comment, actor=enrollment.person)
        except InvalidAnswer:
            rollback()
            speak_to(enrollment.person)  # the refusal is written to the learner, in their language
            error = _(
                "Choose reached, partly or not yet; keep the comment under %(limit)s characters.",
                limit=number(COMMENT_MAX),
            )
        else:
            return redirect(url_for("goals_public.survey", token=token, saved=1))
    return render_template(
        "goals/survey.html",
        enrollment=enrollment,
        answers=list(GoalAnswer),
        answer=answer,
        comment=comment,
        error=error,
        saved=request.args.get("saved") == "1" and error is None,
        comment_max=COMMENT_MAX,
    ), (422 if error else 200)
