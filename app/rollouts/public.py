"""The learner's commit page, opened from the invitation's signed link: GET shows the
program and the pledge form, POST pledges (never on GET). In the learner's language, as
the emails (``app.language.person_locale``). Link problems get the one set of link pages
(``app/freshlinks/routes.py``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from app.auth.access import public
from app.language import person_locale
from app.links.services import LinkInvalid, open_link
from app.people.models import Person
from app.rollouts import onboarding
from app.rollouts.forms import CommitForm
from app.rollouts.models import Enrollment, EnrollmentState, RolloutStatus
from app.rollouts.texts import call_slot
from app.transaction import rollback

public_bp = Blueprint("rollouts_public", __name__)


@public_bp.route("/join/<token>", methods=["GET", "POST"])
@public
def commit_page(token: str) -> Any:
    """GET shows the program and the pledge form; POST pledges (never on GET)."""
    link = open_link(
        token, purpose=onboarding.COMMIT_PURPOSE, model=Enrollment, person_model=Person
    )
    enrollment = onboarding.load_for_commit(link.claims.object_id, link.claims.person_id)
    if enrollment is None:
        raise LinkInvalid(link.claims)
    rollout = enrollment.rollout
    lang = person_locale(enrollment.person, rollout.region)
    error = None
    form = CommitForm()
    if request.method == "POST":
        try:
            onboarding.commit_enrollment(
                region=rollout.region,
                enrollment=enrollment,
                goal=form.goal.data or "",
                buddy=form.buddy.data or "",
            )
            return redirect(url_for("rollouts_public.commit_page", token=token))
        except onboarding.CommitError as exc:
            rollback()
            error = exc.in_language(lang)
    return render_template(
        "rollouts/commit.html",
        page_lang=lang,
        enrollment=enrollment,
        rollout=rollout,
        program=rollout.program,
        call_slot=call_slot(rollout, lang),
        committed=enrollment.state is not EnrollmentState.INVITED,
        open=rollout.status is RolloutStatus.LAUNCHED,
        error=error,
        form=request.form,
    ), (400 if error else 200)
