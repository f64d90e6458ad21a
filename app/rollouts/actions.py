"""A rollout's status changes, each asked first: the GET page says what will happen and to
whom and changes nothing; its form POSTs the change with CSRF and a reason. Launch,
close, reopen, and the preview of the invitation the launch sends."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from wtforms import TextAreaField

from app.auth.access import current_staff, require_role
from app.auth.models import Role
from app.forms import Form
from app.language import gettext, ngettext, number, supported
from app.rollouts.checklist import checklist_of, launch_checked, missing_for_launch
from app.rollouts.models import Rollout, RolloutStatus
from app.rollouts.onboarding import preview_invitation
from app.rollouts.safety import (
    close_impact,
    close_rollout,
    invitation_audience,
    pairing_audience,
    reopen_rollout,
)
from app.rollouts.services import RolloutError
from app.scoping import get_in_region_or_404
from app.transaction import refuse, rollback

bp = Blueprint("rollout_actions", __name__)


class ReasonForm(Form):
    reason = TextAreaField()


def _page(rollout: Rollout, action: str, errors: dict[str, str] | None = None) -> Any:
    """The confirmation page of ``action`` (launch, close, reopen, pair): what it will do."""
    steps = checklist_of(rollout) if action == "launch" else []
    return render_template(
        "rollouts/confirm.html",
        rollout=rollout,
        action=action,
        steps=steps,
        missing=missing_for_launch(steps),
        audience=(
            pairing_audience(rollout)
            if action == "pair"
            else invitation_audience(rollout)
            if action in ("launch", "reopen")
            else None
        ),
        impact=close_impact(rollout) if action == "close" else None,
        errors=errors or {},
        reason=request.form.get("reason", ""),
    ), (400 if errors else 200)


def _done(slug: str, message: str) -> Any:
    flash(message, "success")
    return redirect(url_for("rollouts.overview", slug=slug), code=303)


def _change(slug: str, action: str, change: Any, message: str) -> Any:
    """Run a confirmed status change (close, reopen) with the page's reason: a missing
    reason shows the confirmation page again, another refusal goes back to the rollout."""
    rollout = get_in_region_or_404(Rollout, slug=slug)
    try:
        done = change(
            region=g.region,
            rollout=rollout,
            actor=current_staff(),
            reason=ReasonForm().reason.data or "",
        )
    except RolloutError as exc:
        rollback()
        if "reason" in exc.errors:
            return _page(rollout, action, exc.errors)
        return refuse(str(exc), url_for("rollouts.overview", slug=slug), code=303)
    if not done:
        return _already(slug)
    return _done(slug, message)


def _already(slug: str) -> Any:
    flash(gettext("Already done: nothing changed."), "info")
    return redirect(url_for("rollouts.overview", slug=slug), code=303)


@bp.get("/r/<region>/rollouts/<slug>/launch")
@require_role(Role.LOCAL_LEAD)
def launch_page(slug: str) -> Any:
    return _page(get_in_region_or_404(Rollout, slug=slug), "launch")


@bp.post("/r/<region>/rollouts/<slug>/launch")
@require_role(Role.LOCAL_LEAD)
def launch(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    audience = invitation_audience(rollout)
    try:
        done = launch_checked(
            region=g.region,
            rollout=rollout,
            actor=current_staff(),
            reason=ReasonForm().reason.data or "",
        )
    except RolloutError as exc:
        return refuse(str(exc), url_for("rollout_actions.launch_page", slug=slug), code=303)
    if not done:
        return _already(slug)
    return _done(
        slug,
        ngettext(
            "Launched: %(num)s learner is being invited to commit.",
            "Launched: %(num)s learners are being invited to commit.",
            audience.total,
            num=number(audience.total),
        ),
    )


@bp.get("/r/<region>/rollouts/<slug>/close")
@require_role(Role.LOCAL_LEAD)
def close_page(slug: str) -> Any:
    return _page(get_in_region_or_404(Rollout, slug=slug), "close")


@bp.post("/r/<region>/rollouts/<slug>/close")
@require_role(Role.LOCAL_LEAD)
def close(slug: str) -> Any:
    return _change(
        slug, "close", close_rollout, gettext("Closed. You can reopen the rollout from its page.")
    )


@bp.get("/r/<region>/rollouts/<slug>/reopen")
@require_role(Role.LOCAL_LEAD)
def reopen_page(slug: str) -> Any:
    return _page(get_in_region_or_404(Rollout, slug=slug), "reopen")


@bp.post("/r/<region>/rollouts/<slug>/reopen")
@require_role(Role.LOCAL_LEAD)
def reopen(slug: str) -> Any:
    return _change(slug, "reopen", reopen_rollout, gettext("Reopened: the rollout runs again."))


@bp.get("/r/<region>/rollouts/<slug>/buddies/pair")
@require_role(Role.LOCAL_LEAD)
def pair_page(slug: str) -> Any:
    """Whom pairing buddies emails; its form posts to ``buddies.pair``."""
    return _page(get_in_region_or_404(Rollout, slug=slug), "pair")


@bp.get("/r/<region>/rollouts/<slug>/invitation-preview/<lang>")
@require_role(Role.LOCAL_LEAD)
def invitation_preview(slug: str, lang: str) -> Any:
    """The invitation in one of the roster's languages, as its learners will read it."""
    rollout = get_in_region_or_404(Rollout, slug=slug)
    if supported(lang) != lang:  # a language Summit writes, as the roster's counts name it
        abort(404)
    email = preview_invitation(
        rollout=rollout, lang=lang, learner_name=gettext("(the learner's name)")
    )
    return render_template(
        "rollouts/invitation_preview.html",
        rollout=rollout,
        lang=lang,
        email=email,
        languages=invitation_audience(rollout).languages,
        launched=rollout.status is not RolloutStatus.DRAFT,
    )
