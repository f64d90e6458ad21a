"""The learner's commit page, opened from the invitation's signed link: GET shows the
course and the pledge form, POST pledges (goal, buddy, study slot) or says "I can't take
part" (never on GET). In the learner's language, as the emails. Link problems get the one
set of link pages (``app/freshlinks/routes.py``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from app.auth.access import public
from app.language import person_locale
from app.links.services import LinkInvalid, open_link
from app.people.models import Person
from app.rollouts import commitment, onboarding
from app.rollouts.commitment import CommitError
from app.rollouts.forms import CommitForm, DeclineForm
from app.rollouts.models import Enrollment, EnrollmentState, RolloutStatus
from app.rollouts.study_calendar import study_time_calendar
from app.rollouts.texts import call_slot, example_goals
from app.transaction import rollback

public_bp = Blueprint("rollouts_public", __name__)


def _load(token: str) -> Enrollment:
    link = open_link(
        token, purpose=onboarding.COMMIT_PURPOSE, model=Enrollment, person_model=Person
    )
    enrollment = onboarding.load_for_commit(link.claims.object_id, link.claims.person_id)
    if enrollment is None:
        raise LinkInvalid(link.claims)
    return enrollment


@public_bp.route("/join/<token>", methods=["GET", "POST"])
@public
def commit_page(token: str) -> Any:
    """GET shows the program and the pledge form; POST pledges or declines (never on GET)."""
    enrollment = _load(token)
    rollout = enrollment.rollout
    lang = person_locale(enrollment.person, rollout.region)
    error = None
    if request.method == "POST":
        try:
            if request.form.get("action") == "decline":
                decline = DeclineForm()
                commitment.decline_enrollment(
                    region=rollout.region, enrollment=enrollment, reason=decline.reason.data or ""
                )
            else:
                _commit(enrollment)
            return redirect(url_for("rollouts_public.commit_page", token=token))
        except CommitError as exc:
            rollback()
            error = exc
    slot = commitment.study_slot(enrollment)
    return render_template(
        "rollouts/commit.html",
        page_lang=lang,
        token=token,
        enrollment=enrollment,
        rollout=rollout,
        program=rollout.program,
        call_slot=call_slot(rollout, lang),
        committed=enrollment.state not in (EnrollmentState.INVITED, EnrollmentState.WITHDRAWN),
        declined=enrollment.declined_at is not None,
        open=rollout.status is RolloutStatus.LAUNCHED,
        examples=example_goals(lang),
        buddies=commitment.buddy_choices(enrollment, request.form.get("buddy", ""))
        if enrollment.state is EnrollmentState.INVITED
        else [],
        zones=commitment.zone_choices(enrollment),
        slot=slot,
        first_block=slot.first_on_or_after(rollout.program.starts_on or rollout.cohort_start),
        error=error.in_language(lang) if error else None,
        error_key=error.key if error else None,
        form=request.form,
    ), (400 if error else 200)


def _commit(enrollment: Enrollment) -> None:
    form = CommitForm()
    parts = (form.study_weekday.data or "", form.study_time.data or "", form.study_zone.data or "")
    # a form without the slot (an older page) keeps the default; a part missing is refused
    slot = commitment.parse_study_slot(*parts) if any(parts) else None
    onboarding.commit_enrollment(
        region=enrollment.rollout.region,
        enrollment=enrollment,
        goal=form.goal.data or "",
        buddy=form.buddy.data or "",
        slot=slot,
    )


@public_bp.get("/join/<token>/study-time.ics")
@public
def study_time_ics(token: str) -> Any:
    """The learner's weekly study time as a calendar file, once they have committed."""
    enrollment = _load(token)
    if enrollment.state in (EnrollmentState.INVITED, EnrollmentState.WITHDRAWN):
        abort(404)
    lang = person_locale(enrollment.person, enrollment.rollout.region)
    return Response(
        study_time_calendar(enrollment, lang),
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="study-time.ics"'},
    )
