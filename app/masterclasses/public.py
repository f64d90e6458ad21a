"""The learner's master-class pages, opened from signed links: the RSVP and the leaderboard
opt-in (GET shows, POST decides). They speak the learner's language, as the emails do
(``app.language.person_locale``: their locale, else their region's, else English). Link
problems get the one set of link pages (``app/freshlinks/routes.py``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from app.auth.access import public
from app.db import utcnow
from app.language import person_locale
from app.links.services import LinkInvalid, open_link
from app.masterclasses import queries, texts
from app.masterclasses.emails import RSVP_MAX_AGE, RSVP_PURPOSE
from app.masterclasses.forms import ChoiceForm
from app.masterclasses.models import InvitationStatus, MasterClassInvitation
from app.masterclasses.recognition import (
    BADGES,
    OPT_IN_MAX_AGE,
    OPT_IN_PURPOSE,
    leaderboard,
    set_leaderboard_opt_in,
)
from app.masterclasses.services import RsvpClosed, accept_invitation, decline_invitation
from app.rollouts.models import Enrollment
from app.transaction import rollback

public_bp = Blueprint("masterclasses_public", __name__)


def _learner_page(name: str, learner: Any, **context: Any) -> str:
    return render_template(
        f"masterclasses/{name}", page_lang=person_locale(learner, learner.region), **context
    )


@public_bp.route("/masterclasses/rsvp/<token>", methods=["GET", "POST"])
@public
def rsvp(token: str) -> Any:
    link = open_link(token, purpose=RSVP_PURPOSE, model=MasterClassInvitation, max_age=RSVP_MAX_AGE)
    item = link.obj
    if item.enrollment.person_id != link.claims.person_id:
        raise LinkInvalid(link.claims)
    person = item.enrollment.person
    lang = person_locale(person, person.region)
    error = None
    if request.method == "POST":
        choice = ChoiceForm().choice.data
        try:
            if choice == "accept":
                accept_invitation(item, actor=person)
            elif choice == "decline":
                decline_invitation(item, actor=person)
            else:
                error = texts.text("choose", lang)
        except RsvpClosed:
            rollback()
            error = texts.text("closed", lang)
        if error is None:
            return redirect(url_for("masterclasses_public.rsvp", token=token))
    closed = item.master_class.starts_at <= utcnow() or item.attendance_recorded_at is not None
    return _learner_page(
        "rsvp.html",
        person,
        invitation=item,
        master_class=item.master_class,
        person=person,
        answer=texts.status(item.status.value, lang),
        position=queries.waitlist_position(item),
        waiting=queries.waitlist_length(item.master_class_id),
        closed=closed,
        error=error,
        InvitationStatus=InvitationStatus,
    ), (422 if error else 200)


@public_bp.route("/recognition/<token>", methods=["GET", "POST"])
@public
def leaderboard_opt_in(token: str) -> Any:
    link = open_link(token, purpose=OPT_IN_PURPOSE, model=Enrollment, max_age=OPT_IN_MAX_AGE)
    enrollment = link.obj
    if enrollment.person_id != link.claims.person_id:
        raise LinkInvalid(link.claims)
    if request.method == "POST":
        choice = ChoiceForm().choice.data
        if choice in {"in", "out"}:
            set_leaderboard_opt_in(enrollment, opt_in=choice == "in", actor=enrollment.person)
        return redirect(url_for("masterclasses_public.leaderboard_opt_in", token=token))
    person = enrollment.person
    lang = person_locale(person, person.region)
    top = [
        replace(row, badges=tuple(texts.badges(row.badges, lang)))
        for row in leaderboard(region_id=enrollment.region_id, limit=10)
    ]
    return _learner_page(
        "opt_in.html",
        person,
        enrollment=enrollment,
        rows=top,
        badges=texts.badges(BADGES.values(), lang),
    )
