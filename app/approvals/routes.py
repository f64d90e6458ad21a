"""Manager sign-off pages.

``public_bp``: the decision page a manager (or delegate) reaches from the email's
signed link; a GET shows, a POST decides. ``bp``: the lead's dashboard under
``/r/<region>/approvals``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from sqlalchemy import or_, select

from app.approvals import digests, queries, services, texts
from app.approvals.emails import DECIDE_PURPOSE
from app.approvals.models import AllocationStatus, TimeAllocation
from app.approvals.policy import decisions_close_at, decisions_open, identity_check
from app.auth.access import current_staff, public, require_role
from app.auth.models import Role
from app.db import utcnow
from app.extensions import db
from app.language import page_templates, person_language
from app.links.services import ActionClaims, LinkInvalid, read_token
from app.people.models import Person
from app.readcache import cached_page
from app.regions.models import Region
from app.rollouts.models import Enrollment, Rollout
from app.scoping import get_in_region_or_404, set_region_scope

public_bp = Blueprint("approvals_public", __name__)
bp = Blueprint("approvals", __name__)

INVALID_LINK = (
    "This link is not valid. Please open the latest email from Summit about your team's "
    "study time, or ask your local program lead for a new one."
)
DECISIONS = {
    "approve": AllocationStatus.APPROVED,
    "decline": AllocationStatus.DECLINED,
    "propose": AllocationStatus.PROPOSED,
}


def _grant(claims: ActionClaims) -> tuple[Rollout, Person]:
    """After the token is verified: let this request see the rollout's region (and the
    decider's, as a manager may belong to another region), then load both."""
    set_region_scope(db.session, None)
    rollout_region = db.session.scalar(
        select(Rollout.region_id).where(Rollout.id == claims.object_id)
    )
    person_region = db.session.scalar(select(Person.region_id).where(Person.id == claims.person_id))
    set_region_scope(db.session, [])
    if rollout_region is None or person_region is None:
        abort(404, INVALID_LINK)
    set_region_scope(db.session, {rollout_region, person_region})
    rollout = db.session.get(Rollout, claims.object_id)
    person = db.session.get(Person, claims.person_id)
    if rollout is None or person is None or person.erased_at is not None:
        abort(404, INVALID_LINK)
    return rollout, person


def _allocations_for(rollout: Rollout, person: Person) -> list[TimeAllocation]:
    return list(
        db.session.scalars(
            select(TimeAllocation)
            .join(TimeAllocation.enrollment)
            .where(
                TimeAllocation.region_id == rollout.region_id,
                Enrollment.rollout_id == rollout.id,
                or_(
                    TimeAllocation.manager_id == person.id,
                    TimeAllocation.delegate_id == person.id,
                ),
            )
        ).unique()
    )


@public_bp.route("/approvals/decide/<token>", methods=["GET", "POST"])
@public
def decide(token: str) -> Any:
    """GET (and HEAD) only show; a POST from the page decides."""
    try:
        # an expired link raises LinkExpired: the links' page offers a fresh one by email
        claims = read_token(token, purpose=DECIDE_PURPOSE)
    except LinkInvalid:
        abort(404, INVALID_LINK)
    rollout, person = _grant(claims)
    region: Region = rollout.region
    lang = person_language(person, region)
    allocations = sorted(_allocations_for(rollout, person), key=lambda a: a.enrollment.person.name)
    now = utcnow()
    status = 200
    if request.method == "POST":
        refusal = identity_check(person=person, region=region)
        if refusal is not None:
            return refusal
        try:
            message = _apply(request.form, region, rollout, person, allocations, lang)
        except services.DecisionRefused as exc:
            db.session.rollback()
            flash(exc.in_language(lang), "error")
            status = 409 if isinstance(exc, services.DecisionsClosed) else 422
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for(".decide", token=token), code=303)
        allocations = sorted(
            _allocations_for(rollout, person), key=lambda a: a.enrollment.person.name
        )
    return (
        render_template(
            page_templates("approvals/decide.html", lang),
            page_lang=lang,
            rollout=rollout,
            program=rollout.program,
            region=region,
            person=person,
            allocations=allocations,
            token=token,
            is_open=decisions_open(rollout.program, region, now),
            closes_at=decisions_close_at(rollout.program, region),
        ),
        status,
    )


def _apply(
    form: Any,
    region: Region,
    rollout: Rollout,
    person: Person,
    allocations: list[TimeAllocation],
    lang: str = "en",
) -> str:
    action = form.get("action", "")
    if action == "approve_all":
        n = services.approve_all(
            region=region, allocations=allocations, actor=person, channel="link"
        )
        return texts.text("approved_n", lang, n=n) if n else texts.text("nothing_pending", lang)
    if action == "delegate":
        colleague = services.delegate(
            region=region,
            rollout=rollout,
            from_person=person,
            delegate_email=form.get("delegate_email", ""),
        )
        return texts.text("handed_over", lang, name=colleague.name)
    if action not in DECISIONS:
        raise services.DecisionRefused("choose_action")
    by_id = {str(a.id): a for a in allocations}
    allocation = by_id.get(form.get("allocation_id", ""))
    if allocation is None:
        abort(404)
    changed = services.decide(
        region=region,
        allocation=allocation,
        decision=DECISIONS[action],
        actor=person,
        channel="link",
        hours=form.get("hours"),
        reason=form.get("reason"),
    )
    name = allocation.enrollment.person.name
    return texts.text("saved" if changed else "no_change", lang, name=name)


# --- the lead's dashboard -------------------------------------------------------------

LEAD_ROLES = (Role.LOCAL_LEAD, Role.HR_PARTNER)


@bp.get("/r/<region>/approvals/")
@require_role(*LEAD_ROLES)
def index() -> Any:
    rollouts = db.session.scalars(
        select(Rollout).where(Rollout.region_id == g.region.id).order_by(Rollout.slug)
    ).all()
    figures = queries.funnels_now(region_id=g.region.id, rollout_ids=tuple(r.id for r in rollouts))
    return render_template("approvals/index.html", rollouts=rollouts, figures=figures)


@bp.get("/r/<region>/approvals/<slug>")
@require_role(*LEAD_ROLES)
@cached_page
def rollout_dashboard(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    per_page = 50
    figures = queries.funnels_now(region_id=g.region.id, rollout_ids=(rollout.id,))
    waiting = queries.waiting_managers(
        region_id=g.region.id,
        rollout_id=rollout.id,
        offset=(page - 1) * per_page,
        limit=per_page + 1,
    )
    return render_template(
        "approvals/rollout.html",
        rollout=rollout,
        figures=figures[rollout.id],
        follow_up=queries.needs_follow_up(region_id=g.region.id, rollout_id=rollout.id),
        yours=queries.decided_by_the_lead(region_id=g.region.id, rollout_id=rollout.id),
        waiting=waiting[:per_page],
        page=page,
        has_next=len(waiting) > per_page,
        is_open=decisions_open(rollout.program, g.region, utcnow()),
    )


@bp.post("/r/<region>/approvals/<slug>/resend")
@require_role(*LEAD_ROLES)
def resend(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    recipient = get_in_region_or_404(Person, request.form.get("person_id"))
    if digests.resend_request(
        region=g.region, rollout=rollout, recipient_id=recipient.id, actor=current_staff()
    ):
        db.session.commit()
        flash(f"The request was emailed to {recipient.name} again.", "success")
    else:
        flash(
            f"Nothing was sent: {recipient.name} has nothing pending or was already sent it "
            "again today.",
            "error",
        )
    return redirect(url_for(".rollout_dashboard", slug=slug), code=303)


@bp.post("/r/<region>/approvals/<slug>/allocations/<int:allocation_id>")
@require_role(*LEAD_ROLES)
def record_decision(slug: str, allocation_id: int) -> Any:
    """A lead records a decision the manager gave in person (e.g. accepts a proposal)."""
    rollout = get_in_region_or_404(Rollout, slug=slug)
    allocation = get_in_region_or_404(TimeAllocation, allocation_id)
    if allocation.enrollment.rollout_id != rollout.id:
        abort(404)
    action = request.form.get("action", "")
    if action not in DECISIONS:
        abort(400)
    try:
        services.decide(
            region=g.region,
            allocation=allocation,
            decision=DECISIONS[action],
            actor=current_staff(),
            channel="web",
            hours=request.form.get("hours") or None,
            reason=request.form.get("reason"),
        )
    except services.DecisionRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"Recorded for {allocation.enrollment.person.name}.", "success")
    return redirect(url_for(".rollout_dashboard", slug=slug), code=303)


@bp.get("/r/<region>/approvals/<slug>/export.csv")
@require_role(*LEAD_ROLES)
def export(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    region_id = g.region.id

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(queries.EXPORT_HEADER)
        for row in queries.export_rows(region_id=region_id, rollout_id=rollout.id):
            writer.writerow([queries.neutralise(v) for v in row])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="approvals-{rollout.slug}.csv"'},
    )
