"""Master classes: the staff pages under ``/r/<region>/``. The learner's RSVP and
leaderboard opt-in (signed links) are ``app/masterclasses/public.py``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from app.auth.access import current_staff, may_see_names, require_role
from app.auth.models import Role
from app.db import utcnow
from app.language import _, ngettext
from app.masterclasses import forms, permissions, queries
from app.masterclasses.invitations import invite_completers
from app.masterclasses.models import InvitationStatus, MasterClass, MasterClassInvitation
from app.masterclasses.recognition import BADGES, leaderboard, opted_in_count
from app.masterclasses.services import (
    RsvpClosed,
    record_attendance,
    save_master_class,
)
from app.masterclasses.texts import badges as badges_in
from app.scoping import get_in_region_or_404
from app.transaction import refuse

bp = Blueprint("masterclasses", __name__)

PAGE_SIZE = 100


def _class_or_404(class_id: int) -> MasterClass:
    """A class of the URL's region or a global one; anything else is a 404."""
    master_class = queries.class_in_region(class_id, region_id=g.region.id)
    if master_class is None:
        abort(404)
    return master_class


@bp.get("/r/<region>/masterclasses")
def index() -> Any:
    classes = queries.classes_of_region(g.region.id)
    return render_template(
        "masterclasses/index.html",
        classes=classes,
        counts=queries.status_counts([c.id for c in classes], region_id=g.region.id),
        may_create=permissions.may_edit(None),
    )


@bp.route("/r/<region>/masterclasses/new", methods=["GET", "POST"])
@require_role(Role.LOCAL_LEAD)
def new() -> Any:
    may_make_global = permissions.may_make_global()
    programs = queries.programs_for_classes(region_id=g.region.id, every_program=may_make_global)
    user = current_staff()
    if request.method == "POST":
        posted = forms.MasterClassFields().posted()
        form = forms.parse(posted, time_zone=g.region.time_zone, may_make_global=may_make_global)
        program = next((p for p in programs if str(p.id) == posted["program_id"]), None)
        if program is None:
            form.errors["program_id"] = _("Choose the program whose completers are invited.")
        if form.valid and program is not None:
            values = {
                **form.values,
                "program_id": program.id,
                "region_id": None if form.data["global"] else g.region.id,
            }
            master_class = save_master_class(master_class=None, values=values, actor=user)
            invite_completers(master_class)
            flash(_("Master class created; qualifying completers are being invited."), "success")
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
    if not permissions.may_edit(master_class):
        abort(403)
    if request.method == "POST":
        form = forms.parse(
            forms.MasterClassFields().posted(),
            time_zone=g.region.time_zone,
            seats_taken=master_class.seats_taken,
        )
        if form.valid:
            save_master_class(master_class=master_class, values=form.values, actor=current_staff())
            flash(_("Master class saved."), "success")
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
        queries.invitations_page(
            master_class.id,
            region_id=g.region.id,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
        if names
        else []
    )
    return render_template(
        "masterclasses/show.html",
        master_class=master_class,
        invitations=invitations[:PAGE_SIZE],
        page=page,
        has_next=len(invitations) > PAGE_SIZE,
        counts=queries.status_counts([master_class.id], region_id=g.region.id)[master_class.id],
        names=names,
        may_edit=permissions.may_edit(master_class),
        may_invite=permissions.may_invite(),
        may_record=permissions.may_record(),
        started=master_class.starts_at <= utcnow(),
        InvitationStatus=InvitationStatus,
    )


@bp.post("/r/<region>/masterclasses/<int:class_id>/invite")
@require_role(Role.LOCAL_LEAD)
def invite_now(class_id: int) -> Any:
    master_class = _class_or_404(class_id)
    created = invite_completers(master_class, region_id=g.region.id)
    flash(
        ngettext("%(num)s new invitation sent.", "%(num)s new invitations sent.", created),
        "success",
    )
    return redirect(url_for("masterclasses.show", class_id=master_class.id))


@bp.post("/r/<region>/masterclasses/<int:class_id>/attendance")
@require_role(*permissions.RECORDERS)
def attendance(class_id: int) -> Any:
    master_class = _class_or_404(class_id)
    attended = forms.AttendanceForm().attended.data
    try:
        changed = record_attendance(
            master_class, region_id=g.region.id, attended_ids=attended, actor=current_staff()
        )
    except RsvpClosed:
        return refuse(
            _("Attendance can be recorded once the master class has started."),
            url_for("masterclasses.show", class_id=master_class.id),
        )
    flash(_("Attendance recorded (%(num)s changed).", num=changed), "success")
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
        rows=[replace(row, badges=tuple(badges_in(row.badges))) for row in rows[:PAGE_SIZE]],
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        opted_in=opted_in_count(region_id=g.region.id),
        badges=badges_in(BADGES.values()),
    )
