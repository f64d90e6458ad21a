"""The lead's buddy pages of a rollout: the groups by name, pair the committed learners,
swap two of them, move one into another group or out of pairing.
The buddy's term sign-off (signed link) is ``app/terms/public.py``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.auth.access import current_staff, may_see_names, require_role
from app.buddies.forms import MoveForm, SwapForm
from app.extensions import db
from app.language import _, ngettext
from app.rollouts import buddies, queries
from app.rollouts.models import Enrollment, Rollout
from app.rollouts.permissions import EDITORS, may_edit
from app.scoping import get_in_region_or_404
from app.transaction import flash_refusals

bp = Blueprint("buddies", __name__)


def _overview() -> str:
    slug = (request.view_args or {}).get("slug")
    if request.endpoint == "buddies.move":
        return url_for("buddies.groups", slug=slug)
    return url_for("rollouts.overview", slug=slug)


flash_refusals(bp, buddies.BuddyError, back=_overview)


@bp.post("/r/<region>/rollouts/<slug>/buddies/pair")
@require_role(*EDITORS)
def pair(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    groups = buddies.pair_buddies(region=g.region, rollout=rollout)
    flash(
        ngettext(
            "%(num)s buddy group formed; each member got an introduction.",
            "%(num)s buddy groups formed; each member got an introduction.",
            len(groups),
        ),
        "success",
    )
    return redirect(url_for("rollouts.overview", slug=slug))


@bp.post("/r/<region>/rollouts/<slug>/buddies/swap")
@require_role(*EDITORS)
def swap(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    form = SwapForm()
    picked = []
    for ref in (form.first.data or "", form.second.data or ""):
        enrollment = queries.learner_by_reference(rollout.id, ref)
        if enrollment is None:
            flash(
                _(
                    "No learner of this rollout with employee id or email “%(ref)s”.",
                    ref=ref.lower(),
                ),
                "error",
            )
            return redirect(url_for("rollouts.overview", slug=slug))
        picked.append(enrollment)
    buddies.swap_buddies(
        region=g.region, rollout=rollout, first=picked[0], second=picked[1], actor=current_staff()
    )
    flash(_("Swapped; both groups got a new introduction."), "success")
    return redirect(url_for("rollouts.overview", slug=slug))


@bp.get("/r/<region>/rollouts/<slug>/buddies")
def groups(slug: str) -> Any:
    """The rollout's buddy groups by name, who waits and why, and the lead's fixes."""
    rollout = get_in_region_or_404(Rollout, slug=slug)
    if not may_see_names():
        abort(403)
    held = buddies.held_from_pairing(rollout)
    waiting = list(
        db.session.scalars(
            select(Enrollment)
            .where(
                Enrollment.rollout_id == rollout.id,
                Enrollment.region_id == rollout.region_id,
                Enrollment.state.in_(buddies.PAIRABLE),
                Enrollment.buddy_group.is_(None),
            )
            .order_by(Enrollment.id)
        )
    )
    formed = buddies.groups_by_name(rollout)
    return render_template(
        "buddies/groups.html",
        rollout=rollout,
        groups=formed,
        held=[e for e in waiting if e.id in held],
        paused=[e for e in waiting if e.id not in held and e.pairing_paused],
        unpaired=[e for e in waiting if e.id not in held and not e.pairing_paused],
        learners=sorted(
            [m for formed_group in formed for m in formed_group.members] + waiting,
            key=lambda e: (e.person.name.casefold(), e.id),
        ),
        can_edit=may_edit(),
    )


@bp.post("/r/<region>/rollouts/<slug>/buddies/move")
@require_role(*EDITORS)
def move(slug: str) -> Any:
    """Move one learner into another group, or out of pairing; audited with the reason."""
    rollout = get_in_region_or_404(Rollout, slug=slug)
    form = MoveForm()
    if form.learner.data is None:
        abort(404)
    enrollment = get_in_region_or_404(Enrollment, form.learner.data)
    if enrollment.rollout_id != rollout.id:
        abort(404)
    target = form.group.data or ""
    if target != "out" and not target.isdigit():
        raise buddies.BuddyError(_("Choose a buddy group of this rollout."))
    buddies.move_learner(
        region=g.region,
        rollout=rollout,
        enrollment=enrollment,
        group=None if target == "out" else int(target),
        reason=form.reason.data or "",
        actor=current_staff(),
    )
    if target == "out":
        flash(
            _(
                "%(name)s is out of pairing until you move them into a group.",
                name=enrollment.person.name,
            ),
            "success",
        )
    else:
        flash(
            _("%(name)s moved; the group got a new introduction.", name=enrollment.person.name),
            "success",
        )
    return redirect(url_for("buddies.groups", slug=slug))
