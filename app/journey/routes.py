"""Staff pages of the weekly journey: a rollout's note of the week and the weekly email's
figures (open and click-through) for the week."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, url_for
from sqlalchemy import select

from app.auth.access import current_staff, require_role
from app.auth.models import EDITOR_ROLES, Role
from app.db import utcnow
from app.extensions import db
from app.journey import queries, services
from app.journey.forms import NoteForm
from app.journey.models import JourneyNote
from app.language import gettext
from app.rollouts.models import Rollout
from app.scoping import get_in_region_or_404
from app.weeks import week_label

bp = Blueprint("journey", __name__)

HOSTS = (Role.LOCAL_LEAD, Role.EXPERT, Role.HR_PARTNER)


@bp.get("/r/<region>/rollouts/<slug>/journey")
def index(slug: str) -> Any:
    """Every staff member of the region reads the figures; the hosts set the note."""
    rollout = get_in_region_or_404(Rollout, slug=slug)
    now = utcnow()
    week = services.due_week(g.region, now) or week_label(now.date())
    note = db.session.scalars(
        select(JourneyNote).where(JourneyNote.rollout_id == rollout.id)
    ).one_or_none()
    return render_template(
        "journey/index.html",
        rollout=rollout,
        note=note,
        note_max=services.NOTE_MAX,
        figures=queries.email_figures(g.region, week),
        week=week,
        send_at=services.send_time(g.region, week),
        may_set_note=bool(g.region_roles & EDITOR_ROLES),
    )


@bp.post("/r/<region>/rollouts/<slug>/journey/note")
@require_role(*HOSTS)
def set_note(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    form = NoteForm()
    services.set_note(
        rollout=rollout,
        text=form.text.data or "",
        author=form.author.data or "",
        actor=current_staff(),
    )
    flash(gettext("The note of the week is saved."), "success")
    return redirect(url_for("journey.index", slug=slug))
