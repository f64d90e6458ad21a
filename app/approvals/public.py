"""The manager's decision page, opened from the request email's signed link: a GET (and HEAD)
only shows, a POST from the page decides. In the manager's language, as the email
(``app.language.person_locale``: their locale, else the region's, else English). Link
problems get the one set of link pages (``app/freshlinks/routes.py``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from app.approvals import queries, services, texts
from app.approvals.emails import DECIDE_PURPOSE
from app.approvals.forms import DECISIONS, DecisionForm
from app.approvals.models import TimeAllocation
from app.approvals.policy import (
    can_decide,
    decisions_close_at,
    decisions_open,
    identity_check,
    region_today,
    weeks_left,
)
from app.auth.access import public
from app.db import utcnow
from app.language import person_locale
from app.links.services import open_link
from app.people.models import Person
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.transaction import rollback

public_bp = Blueprint("approvals_public", __name__)


@public_bp.route("/approvals/decide/<token>", methods=["GET", "POST"])
@public
def decide(token: str) -> Any:
    """GET (and HEAD) only show; a POST from the page decides."""
    # a manager may belong to another region than the rollout: the link grants both
    link = open_link(token, purpose=DECIDE_PURPOSE, model=Rollout, person_model=Person)
    rollout, person = link.obj, link.person
    region: Region = rollout.region
    lang = person_locale(person, region)
    status = 200
    if request.method == "POST":
        refusal = identity_check(person=person, region=region)
        if refusal is not None:
            return refusal
        try:
            message = _apply(DecisionForm(), region, rollout, person, lang)
        except services.DecisionRefused as exc:
            rollback()
            flash(exc.in_language(lang), "error")
            status = 409 if isinstance(exc, services.DecisionsClosed) else 422
        else:
            flash(message, "success")
            # post-redirect-get back to where the manager is: the next person still
            # waiting, or the "all done" line; the page never jumps to the top
            anchor = _next_anchor(_allocations(rollout, person), request.form.get("allocation_id"))
            return redirect(url_for(".decide", token=token, _anchor=anchor), code=303)
    now = utcnow()
    allocations = _allocations(rollout, person)
    return (
        render_template(
            "approvals/decide.html",
            page_lang=lang,
            rollout=rollout,
            program=rollout.program,
            region=region,
            person=person,
            allocations=allocations,
            pending=[a for a in allocations if a.is_pending and a.enrollment.in_program],
            token=token,
            is_open=decisions_open(rollout.program, region, now),
            late_open=can_decide(rollout.program, region, now, pending=True),
            closes_at=decisions_close_at(rollout.program, region),
            weeks_left=weeks_left(rollout.program, region_today(region, now)),
        ),
        status,
    )


def _next_anchor(allocations: list[TimeAllocation], decided_id: str | None) -> str:
    """The card to land on after a decision: the next one still pending after the one just
    decided (else the first still pending), or ``done`` when nothing is left."""
    pending = [a for a in allocations if a.is_pending and a.enrollment.in_program]
    if not pending:
        return "done"
    ids = [str(a.id) for a in allocations]
    after = ids.index(decided_id) if decided_id in ids else -1
    later = [a for a in pending if ids.index(str(a.id)) > after]
    return f"report-{(later or pending)[0].id}"


def _allocations(rollout: Rollout, person: Person) -> list[TimeAllocation]:
    return queries.allocations_for(
        rollout_id=rollout.id, region_id=rollout.region_id, person_id=person.id
    )


def _apply(form: DecisionForm, region: Region, rollout: Rollout, person: Person, lang: str) -> str:
    action = form.action.data or ""
    if action == "approve_all":
        n = services.approve_all(
            region=region, allocations=_allocations(rollout, person), actor=person, channel="link"
        )
        return texts.text("approved_n", lang, n=n) if n else texts.text("nothing_pending", lang)
    if action == "delegate":
        colleague = services.delegate(
            region=region,
            rollout=rollout,
            from_person=person,
            delegate_email=form.delegate_email.data or "",
        )
        return texts.text("handed_over", lang, name=colleague.name)
    if action not in DECISIONS:
        raise services.DecisionRefused("choose_action")
    by_id = {str(a.id): a for a in _allocations(rollout, person)}
    allocation = by_id.get(form.allocation_id.data or "")
    if allocation is None:
        abort(404)
    changed = services.decide(
        region=region,
        allocation=allocation,
        decision=DECISIONS[action],
        actor=person,
        channel="link",
        hours=form.hours.data,
        reason=form.reason.data,
    )
    name = allocation.enrollment.person.name
    return texts.text("saved" if changed else "no_change", lang, name=name)
