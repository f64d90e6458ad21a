"""The lead's buddy pages of a rollout: pair the committed learners, swap two of them.
The buddy's term sign-off (signed link) is ``app/terms/public.py``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for

from app.auth.access import current_staff, require_role
from app.buddies.forms import SwapForm
from app.language import _, ngettext
from app.rollouts import buddies, queries
from app.rollouts.models import Rollout
from app.rollouts.permissions import EDITORS
from app.scoping import get_in_region_or_404
from app.transaction import flash_refusals

bp = Blueprint("buddies", __name__)


def _overview() -> str:
    return url_for("rollouts.overview", slug=(request.view_args or {}).get("slug"))


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
