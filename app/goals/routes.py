"""The goal survey page, reached through a signed link (GET shows, POST answers)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from app.auth.access import public
from app.extensions import db
from app.goals.models import GoalAnswer
from app.goals.services import (
    COMMENT_MAX,
    SURVEY_MAX_AGE,
    SURVEY_PURPOSE,
    InvalidAnswer,
    answer_goal_survey,
)
from app.links.services import LinkInvalid, read_token
from app.masterclasses.signed import grant_region_of
from app.rollouts.models import Enrollment

public_bp = Blueprint("goals_public", __name__)


@public_bp.route("/goals/survey/<token>", methods=["GET", "POST"])
@public
def survey(token: str) -> Any:
    try:
        # an expired link raises LinkExpired: the links' page offers a fresh one by email
        claims = read_token(token, purpose=SURVEY_PURPOSE, max_age=SURVEY_MAX_AGE)
    except LinkInvalid:
        abort(404)
    if grant_region_of(Enrollment, claims.object_id) is None:
        abort(404)
    enrollment = db.session.get(Enrollment, claims.object_id)
    if enrollment is None or enrollment.person_id != claims.person_id:
        abort(404)
    error = None
    answer, comment = enrollment.goal_reached, enrollment.goal_comment or ""
    if request.method == "POST":
        answer = request.form.get("answer", "")
        comment = request.form.get("comment", "")
        try:
            answer_goal_survey(enrollment, answer=answer, comment=comment, actor=enrollment.person)
        except InvalidAnswer:
            error = (
                f"Choose reached, partly or not yet; keep the comment under {COMMENT_MAX} "
                "characters."
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
