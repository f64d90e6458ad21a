"""The lead's approval pages under ``/r/<region>/approvals``: the rollouts' funnels, who is
waiting, decisions recorded for a manager, the CSV export. The manager's own decision
page (signed link) is ``app/approvals/public.py``.
"""

from __future__ import annotations

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

from app.approvals import queries, request_emails, services
from app.approvals.forms import DECISIONS, DecisionForm, ResendForm
from app.approvals.models import TimeAllocation
from app.approvals.permissions import LEAD_ROLES
from app.approvals.policy import can_decide, decisions_open
from app.auth.access import current_staff, require_role
from app.db import utcnow
from app.language import _, current_locale, gettext
from app.people.models import Person
from app.readcache import cached_page
from app.rollouts.models import Rollout
from app.scoping import get_in_region_or_404
from app.tabular import csv_lines
from app.transaction import rollback

bp = Blueprint("approvals", __name__)


# --- the lead's dashboard -------------------------------------------------------------


@bp.get("/r/<region>/approvals/")
@require_role(*LEAD_ROLES)
def index() -> Any:
    rollouts = queries.rollouts_of_region(g.region.id)
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
        # a request still pending after the first term started can still be decided
        late_open=can_decide(rollout.program, g.region, utcnow(), pending=True),
    )


@bp.post("/r/<region>/approvals/<slug>/resend")
@require_role(*LEAD_ROLES)
def resend(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    recipient = get_in_region_or_404(Person, ResendForm().person_id.data)
    if request_emails.resend_request(
        region=g.region, rollout=rollout, recipient_id=recipient.id, actor=current_staff()
    ):
        flash(_("The request was emailed to %(name)s again.", name=recipient.name), "success")
    else:
        flash(
            _(
                "Nothing was sent: %(name)s has nothing pending or was already sent it again "
                "today.",
                name=recipient.name,
            ),
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
    form = DecisionForm()
    if form.action.data not in DECISIONS:
        abort(400)
    try:
        services.decide(
            region=g.region,
            allocation=allocation,
            decision=DECISIONS[form.action.data],
            actor=current_staff(),
            channel="web",
            hours=form.hours.data or None,
            reason=form.reason.data,
        )
    except services.DecisionRefused as exc:
        rollback()
        flash(exc.in_language(current_locale()), "error")
    else:
        flash(_("Recorded for %(name)s.", name=allocation.enrollment.person.name), "success")
    return redirect(url_for(".rollout_dashboard", slug=slug), code=303)


@bp.get("/r/<region>/approvals/<slug>/export.csv")
@require_role(*LEAD_ROLES)
def export(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    region_id = g.region.id

    header = [gettext(h) for h in queries.EXPORT_HEADER]
    rows = queries.export_rows(region_id=region_id, rollout_id=rollout.id)
    return Response(
        stream_with_context(csv_lines(header, rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="approvals-{rollout.slug}.csv"'},
    )
