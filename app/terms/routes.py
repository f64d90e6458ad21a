"""Term pages of the staff: the free-rider review, the term's outcome (with its CSV). The
buddy's sign-off (signed link) is ``app/terms/public.py``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from app.auth.access import current_staff, require_role
from app.auth.models import Role
from app.db import utcnow
from app.extensions import db
from app.language import _, gettext, ngettext
from app.programs.models import Term
from app.readcache import cached_page
from app.rollouts.models import Enrollment, Rollout
from app.scoping import get_in_region_or_404
from app.tabular import write_csv
from app.terms import forms
from app.terms.buddy_answers import answers_for_the_lead
from app.terms.closing import close_term
from app.terms.common import ReviewError, program_term
from app.terms.confirming import (
    confirm_free_rider,
    confirmation_preview,
    may_withdraw,
    withdraw_confirmation,
)
from app.terms.evidence import SORTS, candidate_evidence
from app.terms.models import ExcuseReason, TermReview
from app.terms.review import (
    excuse,
    review_lists,
    tell_sponsors_if_reviewed,
    term_outcome,
)
from app.transaction import refuse

bp = Blueprint("terms", __name__)
#: rows per list on the review page (each candidate carries two forms: 50 keeps it light)
PAGE = 50
REVIEWERS = (Role.LOCAL_LEAD, Role.HR_PARTNER)


def _term(rollout: Rollout, number: int) -> Term:
    term = program_term(rollout.program, number)
    if term is None:
        abort(404)
    return term


@bp.get("/r/<region>/rollouts/<slug>/terms/<int:number>/review")
@require_role(*REVIEWERS)
@cached_page
def review(slug: str, number: int) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    term = _term(rollout, number)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    sort = request.args.get("sort", "risk")
    if sort not in SORTS:
        sort = "risk"
    _candidates, reviewed, missing_buddy = review_lists(rollout.id, term.id, page, PAGE)
    now = utcnow()
    candidates = candidate_evidence(
        rollout_id=rollout.id,
        program=rollout.program,
        term=term,
        now=now,
        page=page,
        per_page=PAGE,
        sort=sort,
    )
    outcome = term_outcome(region=g.region, rollout=rollout, term=term)
    return render_template(
        "terms/review.html",
        rollout=rollout,
        term=term,
        candidates=candidates,
        reviewed=reviewed,
        missing_buddy=missing_buddy,
        missing_buddy_total=outcome.buddy_missing,
        buddy_answers=answers_for_the_lead(rollout.id, term.id),
        outcome=outcome,
        reasons=list(ExcuseReason),
        page=page,
        sort=sort,
        has_next=len(candidates) == PAGE,
        can_close=Role.LOCAL_LEAD in g.region_roles or Role.GLOBAL_ADMIN in g.region_roles,
        now=now,
    )


def _review_in(slug: str, number: int, review_id: int) -> tuple[Rollout, Term, TermReview, Any]:
    """The rollout, term, review and enrollment of a review URL: 404 unless they belong
    together in this region."""
    rollout = get_in_region_or_404(Rollout, slug=slug)
    term = _term(rollout, number)
    row = get_in_region_or_404(TermReview, review_id)
    if row.term_id != term.id:
        abort(404)
    enrollment = db.session.get(Enrollment, row.enrollment_id)
    if enrollment is None or enrollment.rollout_id != rollout.id:
        abort(404)
    return rollout, term, row, enrollment


@bp.get("/r/<region>/rollouts/<slug>/terms/<int:number>/review/<int:review_id>/confirm")
@require_role(*REVIEWERS)
def confirm_page(slug: str, number: int, review_id: int) -> Any:
    """What confirming this free rider will do and to whom; the reason; the button. A GET
    changes nothing."""
    rollout, term, row, _enrollment = _review_in(slug, number, review_id)
    return render_template(
        "terms/confirm.html",
        rollout=rollout,
        term=term,
        review=row,
        preview=confirmation_preview(region=g.region, review=row),
        may_withdraw=may_withdraw(row),
    )


@bp.post("/r/<region>/rollouts/<slug>/terms/<int:number>/review/<int:review_id>")
@require_role(*REVIEWERS)
def decide(slug: str, number: int, review_id: int) -> Any:
    rollout, term, row, enrollment = _review_in(slug, number, review_id)
    back = url_for("terms.review", slug=slug, number=number)
    form = forms.ReviewForm()
    decision = form.decision.data
    try:
        if decision == "excuse":
            try:
                reason = ExcuseReason(form.reason.data or "")
            except ValueError:
                raise ReviewError(gettext("choose a reason for the excuse")) from None
            excuse(
                region=g.region,
                review=row,
                reason=reason,
                note=form.note.data or "",
                actor=current_staff(),
                withdraw=form.withdraw.data,
            )
            flash(
                gettext(
                    "%(name)s is excused for term %(term)s.",
                    name=enrollment.person.name,
                    term=term.number,
                ),
                "success",
            )
        elif decision == "confirm":
            confirm_url = url_for("terms.confirm_page", slug=slug, number=number, review_id=row.id)
            try:
                done = confirm_free_rider(
                    region=g.region, review=row, actor=current_staff(), reason=form.note.data or ""
                )
            except ReviewError as exc:
                return refuse(gettext("Nothing changed: %(why)s.", why=exc), confirm_url, code=303)
            if not done:
                flash(gettext("Already confirmed: nothing changed."), "info")
                return redirect(confirm_url, code=303)
            minutes = confirmation_preview(region=g.region, review=row).grace_minutes
            flash(
                ngettext(
                    "%(name)s was removed from the program. The emails to them and their "
                    "manager leave in %(num)s minute: until then you can withdraw the decision.",
                    "%(name)s was removed from the program. The emails to them and their "
                    "manager leave in %(num)s minutes: until then you can withdraw the decision.",
                    minutes,
                    name=enrollment.person.name,
                ),
                "success",
            )
            tell_sponsors_if_reviewed(region=g.region, rollout=rollout, term=term)
            return redirect(confirm_url, code=303)
        else:
            raise ReviewError(gettext("choose to excuse or to confirm"))
    except ReviewError as exc:
        return refuse(gettext("Nothing changed: %(why)s.", why=exc), back, code=303)
    tell_sponsors_if_reviewed(region=g.region, rollout=rollout, term=term)
    return redirect(back, code=303)


@bp.post("/r/<region>/rollouts/<slug>/terms/<int:number>/review/<int:review_id>/withdraw")
@require_role(*REVIEWERS)
def withdraw(slug: str, number: int, review_id: int) -> Any:
    """Take a free-rider confirmation back within its grace period."""
    _rollout, _term, row, enrollment = _review_in(slug, number, review_id)
    confirm_url = url_for("terms.confirm_page", slug=slug, number=number, review_id=row.id)
    try:
        withdraw_confirmation(
            region=g.region,
            review=row,
            actor=current_staff(),
            note=forms.WithdrawForm().note.data or "",
        )
    except ReviewError as exc:
        return refuse(gettext("Nothing changed: %(why)s.", why=exc), confirm_url, code=303)
    flash(
        gettext(
            "Confirmation withdrawn: %(name)s is back in the program and no email left.",
            name=enrollment.person.name,
        ),
        "success",
    )
    return redirect(url_for("terms.review", slug=slug, number=number), code=303)


@bp.post("/r/<region>/rollouts/<slug>/terms/<int:number>/close")
@require_role(Role.LOCAL_LEAD)
def close_on_current_progress(slug: str, number: int) -> Any:
    """The local lead closes a term on progress older than the region allows (the daily job
    waits for newer data): they confirm on the review page, which says how old it is."""

    rollout = get_in_region_or_404(Rollout, slug=slug)
    term = _term(rollout, number)
    if forms.CloseForm().confirm.data != "yes":
        flash(_("Nothing changed: tick the box to confirm closing on this progress."), "error")
        return redirect(url_for("terms.review", slug=slug, number=number), code=303)
    result = close_term(region=g.region, rollout=rollout, term=term, channel="web")
    flash(
        ngettext(
            "Term %(term)s closed on the progress Summit has: %(num)s free-rider candidate to "
            "review.",
            "Term %(term)s closed on the progress Summit has: %(num)s free-rider candidates to "
            "review.",
            result.candidates,
            term=term.number,
        ),
        "success",
    )
    return redirect(url_for("terms.review", slug=slug, number=number), code=303)


@bp.get("/r/<region>/rollouts/<slug>/terms/<int:number>")
def outcome(slug: str, number: int) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    term = _term(rollout, number)
    result = term_outcome(region=g.region, rollout=rollout, term=term)
    can_review = bool(g.region_roles & {*REVIEWERS, Role.GLOBAL_ADMIN})
    return render_template(
        "terms/outcome.html", rollout=rollout, term=term, outcome=result, can_review=can_review
    )


@bp.get("/r/<region>/rollouts/<slug>/terms/<int:number>/outcome.csv")
def outcome_csv(slug: str, number: int) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    term = _term(rollout, number)
    result = term_outcome(region=g.region, rollout=rollout, term=term)
    # headers in the reader's language; the measures stay codes a spreadsheet can filter on
    header = [_("Term"), _("Measure"), _("Value")]
    table: list[list[Any]] = [
        [term.number, measure, value]
        for measure, value in (
            ("on_track", result.on_track),
            ("excused", result.excused),
            ("removed", result.removed),
            ("awaiting_review", result.candidates),
        )
    ]
    # names go up only where the region's policy allows it
    table += [
        [term.number, "removed_learner", f"{employee_id} {name}"]
        for employee_id, name in result.removed_names
    ]
    return Response(
        write_csv(header, table),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{rollout.slug}-term-{term.number}.csv"'
        },
    )
