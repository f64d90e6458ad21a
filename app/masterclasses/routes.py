"""Master classes (staff pages under /r/<region>/), RSVP and leaderboard opt-in (signed links)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select

from app.auth.access import current_staff, may_see_names, public, require_role
from app.auth.models import Role
from app.db import utcnow
from app.extensions import db
from app.language import page_locale, page_templates, person_language
from app.links.services import read_token
from app.masterclasses import forms, texts
from app.masterclasses.emails import RSVP_MAX_AGE, RSVP_PURPOSE
from app.masterclasses.models import InvitationStatus, MasterClass, MasterClassInvitation
from app.masterclasses.recognition import (
    BADGES,
    OPT_IN_MAX_AGE,
    OPT_IN_PURPOSE,
    leaderboard,
    opted_in_count,
    set_leaderboard_opt_in,
)
from app.masterclasses.services import (
    RsvpClosed,
    accept_invitation,
    decline_invitation,
    invite_qualifying,
    record_attendance,
    save_master_class,
)
from app.masterclasses.signed import grant_region_of
from app.programs.models import Program
from app.rollouts.models import Enrollment, Rollout
from app.scoping import get_in_region_or_404

bp = Blueprint("masterclasses", __name__)
public_bp = Blueprint("masterclasses_public", __name__)

PAGE_SIZE = 100


def _class_or_404(class_id: int) -> MasterClass:
    """A class of the URL's region or a global one; anything else is a 404."""
    master_class = db.session.scalars(
        select(MasterClass).where(
            MasterClass.id == class_id,
            or_(MasterClass.region_id == g.region.id, MasterClass.region_id.is_(None)),
        )
    ).one_or_none()
    if master_class is None:
        abort(404)
    return master_class


def _may_edit(master_class: MasterClass | None) -> bool:
    user = current_staff()
    if user is None:
        return False
    if user.is_global_admin:
        return True
    if master_class is not None and master_class.region_id is None:
        return False  # global classes belong to the global admins
    return Role.LOCAL_LEAD in user.roles_in(g.region.id)


def _programs() -> list[Program]:
    """Programs a class can be for: those adopted in this region (all, for a global admin)."""
    stmt = select(Program).order_by(Program.title)
    user = current_staff()
    if not (user and user.is_global_admin):
        stmt = stmt.where(
            Program.id.in_(select(Rollout.program_id).where(Rollout.region_id == g.region.id))
        )
    return list(db.session.scalars(stmt))


def _status_counts(class_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {i: {} for i in class_ids}
    if not class_ids:
        return counts
    rows = db.session.execute(
        select(
            MasterClassInvitation.master_class_id,
            MasterClassInvitation.status,
            func.count(MasterClassInvitation.id),
        )
        .where(
            MasterClassInvitation.master_class_id.in_(class_ids),
            MasterClassInvitation.region_id == g.region.id,
        )
        .group_by(MasterClassInvitation.master_class_id, MasterClassInvitation.status)
    )
    for class_id, status, n in rows:
        counts[class_id][status.value] = n
    return counts


@bp.get("/r/<region>/masterclasses")
def index() -> Any:
    classes = list(
        db.session.scalars(
            select(MasterClass)
            .where(or_(MasterClass.region_id == g.region.id, MasterClass.region_id.is_(None)))
            .order_by(MasterClass.starts_at.desc(), MasterClass.id)
        )
    )
    return render_template(
        "masterclasses/index.html",
        classes=classes,
        counts=_status_counts([c.id for c in classes]),
        may_create=_may_edit(None),
    )


@bp.route("/r/<region>/masterclasses/new", methods=["GET", "POST"])
@require_role(Role.LOCAL_LEAD)
def new() -> Any:
    programs = _programs()
    user = current_staff()
    may_make_global = bool(user and user.is_global_admin)
    if request.method == "POST":
        form = forms.parse(
            request.form, time_zone=g.region.time_zone, may_make_global=may_make_global
        )
        program = next((p for p in programs if str(p.id) == request.form.get("program_id")), None)
        if program is None:
            form.errors["program_id"] = "Choose the program whose completers are invited."
        if form.valid and program is not None:
            values = {
                **form.values,
                "program_id": program.id,
                "region_id": None if form.data["global"] else g.region.id,
            }
            master_class = save_master_class(master_class=None, values=values, actor=user)
            invite_qualifying(master_class)
            db.session.commit()
            flash("Master class created; qualifying completers are being invited.", "success")
            return redirect(url_for("masterclasses.show", class_id=master_class.id))
    else:
        form = forms.form_from(None, g.region.time_zone)
    return render_template(
        "masterclasses/form.html",
        form=form,
        programs=programs,
        master_class=None,
        may_make_global=may_make_global,
    ), (422 if request.method == "POST" else 200)


@bp.route("/r/<region>/masterclasses/<int:class_id>/edit", methods=["GET", "POST"])
@require_role(Role.LOCAL_LEAD)
def edit(class_id: int) -> Any:
    master_class = _class_or_404(class_id)
    if not _may_edit(master_class):
        abort(403)
    if request.method == "POST":
        form = forms.parse(
            request.form, time_zone=g.region.time_zone, seats_taken=master_class.seats_taken
        )
        if form.valid:
            save_master_class(master_class=master_class, values=form.values, actor=current_staff())
            db.session.commit()
            flash("Master class saved.", "success")
            return redirect(url_for("masterclasses.show", class_id=master_class.id))
    else:
        form = forms.form_from(master_class, g.region.time_zone)
    return render_template(
        "masterclasses/form.html",
        form=form,
        programs=[master_class.program],
        master_class=master_class,
        may_make_global=False,
    ), (422 if request.method == "POST" else 200)


@bp.get("/r/<region>/masterclasses/<int:class_id>")
def show(class_id: int) -> Any:
    master_class = _class_or_404(class_id)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    names = may_see_names()
    invitations = (
        []
        if not names
        else list(
            db.session.scalars(
                select(MasterClassInvitation)
                .where(
                    MasterClassInvitation.master_class_id == master_class.id,
                    MasterClassInvitation.region_id == g.region.id,
                )
                .order_by(
                    MasterClassInvitation.status,
                    MasterClassInvitation.waitlisted_at,
                    MasterClassInvitation.id,
                )
                .limit(PAGE_SIZE + 1)
                .offset((page - 1) * PAGE_SIZE)
            )
        )
    )
    return render_template(
        "masterclasses/show.html",
        master_class=master_class,
        invitations=invitations[:PAGE_SIZE],
        page=page,
        has_next=len(invitations) > PAGE_SIZE,
        counts=_status_counts([master_class.id])[master_class.id],
        names=names,
        may_edit=_may_edit(master_class),
        may_invite=bool(g.region_roles & {Role.LOCAL_LEAD, Role.GLOBAL_ADMIN}),
        may_record=bool(
            g.region_roles & {Role.LOCAL_LEAD, Role.EXPERT, Role.HR_PARTNER, Role.GLOBAL_ADMIN}
        ),
        started=master_class.starts_at <= _now(),
        InvitationStatus=InvitationStatus,
    )


@bp.post("/r/<region>/masterclasses/<int:class_id>/invite")
@require_role(Role.LOCAL_LEAD)
def invite_now(class_id: int) -> Any:
    master_class = _class_or_404(class_id)
    created = invite_qualifying(master_class, region_id=g.region.id)
    db.session.commit()
    flash(f"{len(created)} new invitations sent.", "success")
    return redirect(url_for("masterclasses.show", class_id=master_class.id))


@bp.post("/r/<region>/masterclasses/<int:class_id>/attendance")
@require_role(Role.LOCAL_LEAD, Role.EXPERT, Role.HR_PARTNER)
def attendance(class_id: int) -> Any:
    master_class = _class_or_404(class_id)
    attended = {int(v) for v in request.form.getlist("attended") if v.isdigit()}
    try:
        changed = record_attendance(
            master_class, region_id=g.region.id, attended_ids=attended, actor=current_staff()
        )
    except RsvpClosed:
        flash("Attendance can be recorded once the master class has started.", "error")
        return redirect(url_for("masterclasses.show", class_id=master_class.id))
    db.session.commit()
    flash(f"Attendance recorded ({changed} changed).", "success")
    return redirect(url_for("masterclasses.show", class_id=master_class.id))


@bp.get("/r/<region>/masterclasses/invitations/<int:invitation_id>")
def invitation(invitation_id: int) -> Any:
    item = get_in_region_or_404(MasterClassInvitation, invitation_id)
    if not may_see_names():
        abort(403)  # one learner's invitation: the region's policy names nobody to sponsors
    return render_template("masterclasses/invitation.html", invitation=item)


@bp.get("/r/<region>/leaderboard")
def leaderboard_page() -> Any:
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    # a ranked list of names is performance named to management, opt-in or not
    names = may_see_names()
    rows = (
        leaderboard(region_id=g.region.id, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        if names
        else []
    )
    return render_template(
        "masterclasses/leaderboard.html",
        names=names,
        rows=rows[:PAGE_SIZE],
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        opted_in=opted_in_count(region_id=g.region.id),
        badges=BADGES.values(),
    )


# --- signed links -------------------------------------------------------------------------
# The learner's pages speak the learner's language, as the emails do (their locale, else
# their region's; en, de, fr): ``masterclasses/<lang>/<page>.html``, English as fallback.


def _now() -> Any:

    return utcnow()


def _learner_page(name: str, learner: Any, **context: Any) -> str:
    lang = person_language(learner, learner.region)
    return render_template(
        page_templates(f"masterclasses/{name}", lang),
        page_lang=lang,
        page_locale=page_locale(learner, learner.region),
        **context,
    )


@public_bp.route("/masterclasses/rsvp/<token>", methods=["GET", "POST"])
@public
def rsvp(token: str) -> Any:
    # a broken link (LinkInvalid) gets the links' "not valid" page, in the browser's language,
    # and an expired one (LinkExpired) the links' expired page with its fresh-link button
    claims = read_token(token, purpose=RSVP_PURPOSE, max_age=RSVP_MAX_AGE)
    if grant_region_of(MasterClassInvitation, claims.object_id) is None:
        abort(404)
    item = db.session.get(MasterClassInvitation, claims.object_id)
    if item is None or item.enrollment.person_id != claims.person_id:
        abort(404)
    person = item.enrollment.person
    lang = person_language(person, person.region)
    error = None
    if request.method == "POST":
        choice = request.form.get("choice")
        try:
            if choice == "accept":
                accept_invitation(item, actor=person)
            elif choice == "decline":
                decline_invitation(item, actor=person)
            else:
                error = texts.text("choose", lang)
        except RsvpClosed:
            error = texts.text("closed", lang)
        if error is None:
            db.session.commit()
            return redirect(url_for("masterclasses_public.rsvp", token=token))
    closed = item.master_class.starts_at <= _now() or item.attendance_recorded_at is not None
    return _learner_page(
        "rsvp.html",
        person,
        invitation=item,
        master_class=item.master_class,
        person=person,
        answer=texts.status(item.status.value, lang),
        closed=closed,
        error=error,
        InvitationStatus=InvitationStatus,
    ), (422 if error else 200)


@public_bp.route("/recognition/<token>", methods=["GET", "POST"])
@public
def leaderboard_opt_in(token: str) -> Any:
    # LinkInvalid and LinkExpired get the links' pages (the latter offers a fresh link)
    claims = read_token(token, purpose=OPT_IN_PURPOSE, max_age=OPT_IN_MAX_AGE)
    if grant_region_of(Enrollment, claims.object_id) is None:
        abort(404)
    enrollment = db.session.get(Enrollment, claims.object_id)
    if enrollment is None or enrollment.person_id != claims.person_id:
        abort(404)
    if request.method == "POST":
        choice = request.form.get("choice")
        if choice in {"in", "out"}:
            set_leaderboard_opt_in(enrollment, opt_in=choice == "in", actor=enrollment.person)
            db.session.commit()
        return redirect(url_for("masterclasses_public.leaderboard_opt_in", token=token))
    person = enrollment.person
    lang = person_language(person, person.region)
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
