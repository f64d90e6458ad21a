"""Term pages: the free-rider review, the term's outcome (with its CSV), buddy sign-off."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.auth.access import current_staff, grant_region, public, require_role
from app.auth.models import Role
from app.extensions import db
from app.freshlinks.services import link_page_language
from app.language import accepted_language, page_templates, person_language
from app.links.services import ActionClaims, LinkInvalid, read_token
from app.people.models import Person
from app.programs.models import Term
from app.readcache import cached_page
from app.rollouts.models import Enrollment, Rollout
from app.scoping import get_in_region_or_404
from app.terms.models import ExcuseReason, TermReview
from app.terms.services import (
    BUDDY_PURPOSE,
    ReviewError,
    close_term,
    confirm_buddy_term,
    confirm_free_rider,
    excuse,
    program_term,
    review_lists,
    tell_sponsors_if_reviewed,
    term_outcome,
)

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
    candidates, reviewed, missing_buddy = review_lists(rollout.id, term.id, page, PAGE)
    outcome = term_outcome(region=g.region, rollout=rollout, term=term)
    return render_template(
        "terms/review.html",
        rollout=rollout,
        term=term,
        candidates=candidates,
        reviewed=reviewed,
        missing_buddy=missing_buddy,
        missing_buddy_total=outcome.buddy_missing,
        outcome=outcome,
        reasons=list(ExcuseReason),
        page=page,
        has_next=len(candidates) == PAGE,
        can_close=Role.LOCAL_LEAD in g.region_roles or Role.GLOBAL_ADMIN in g.region_roles,
    )


@bp.post("/r/<region>/rollouts/<slug>/terms/<int:number>/review/<int:review_id>")
@require_role(*REVIEWERS)
def decide(slug: str, number: int, review_id: int) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    term = _term(rollout, number)
    row = get_in_region_or_404(TermReview, review_id)
    if row.term_id != term.id:
        abort(404)
    enrollment = db.session.get(Enrollment, row.enrollment_id)
    if enrollment is None or enrollment.rollout_id != rollout.id:
        abort(404)
    decision = request.form.get("decision")
    try:
        if decision == "excuse":
            try:
                reason = ExcuseReason(request.form.get("reason", ""))
            except ValueError:
                raise ReviewError("choose a reason for the excuse") from None
            excuse(
                region=g.region,
                review=row,
                reason=reason,
                note=request.form.get("note", ""),
                actor=current_staff(),
                withdraw=request.form.get("withdraw") == "1",
            )
            flash(f"{enrollment.person.name} is excused for term {term.number}.", "success")
        elif decision == "confirm":
            confirm_free_rider(region=g.region, review=row, actor=current_staff())
            flash(
                f"{enrollment.person.name} was removed from the program; they and their manager "
                "were told.",
                "success",
            )
        else:
            raise ReviewError("choose to excuse or to confirm")
    except ReviewError as exc:
        db.session.rollback()
        flash(f"Nothing changed: {exc}.", "error")
        return redirect(url_for("terms.review", slug=slug, number=number), code=303)
    tell_sponsors_if_reviewed(region=g.region, rollout=rollout, term=term)
    db.session.commit()
    return redirect(url_for("terms.review", slug=slug, number=number), code=303)


@bp.post("/r/<region>/rollouts/<slug>/terms/<int:number>/close")
@require_role(Role.LOCAL_LEAD)
def close_on_current_progress(slug: str, number: int) -> Any:
    """The local lead closes a term on progress older than the region allows (the daily job
    waits for newer data): they confirm on the review page, which says how old it is."""

    rollout = get_in_region_or_404(Rollout, slug=slug)
    term = _term(rollout, number)
    if request.form.get("confirm") != "yes":
        flash("Nothing changed: tick the box to confirm closing on this progress.", "error")
        return redirect(url_for("terms.review", slug=slug, number=number), code=303)
    result = close_term(region=g.region, rollout=rollout, term=term, channel="web")
    db.session.commit()
    flash(
        f"Term {term.number} closed on the progress Summit has: {result.candidates} "
        "free-rider candidates to review.",
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


def _csv_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/r/<region>/rollouts/<slug>/terms/<int:number>/outcome.csv")
def outcome_csv(slug: str, number: int) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    term = _term(rollout, number)
    result = term_outcome(region=g.region, rollout=rollout, term=term)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["term", "measure", "value"])
    for measure, value in (
        ("on_track", result.on_track),
        ("excused", result.excused),
        ("removed", result.removed),
        ("awaiting_review", result.candidates),
    ):
        writer.writerow([term.number, measure, value])
    # names go up only where the region's policy allows it
    for employee_id, name in result.removed_names:
        writer.writerow([term.number, "removed_learner", _csv_safe(f"{employee_id} {name}")])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{rollout.slug}-term-{term.number}.csv"'
        },
    )


# --- buddy sign-off (signed link) ---------------------------------------------------------
# In the buddy's language, as the email asking them is (their locale, else the region's;
# en, de, fr): ``terms/<lang>/buddy_signoff.html``, the English page as the fallback.


def _buddy_claims(token: str) -> tuple[ActionClaims | None, str | None]:
    """The token's claims, or the problem with it (an expired token raises LinkExpired:
    the links' page offers a fresh one by email)."""
    try:
        return read_token(token, purpose=BUDDY_PURPOSE), None
    except LinkInvalid:
        return None, "invalid"


def _grant_review_region(claims: ActionClaims) -> bool:
    table = TermReview.__table__
    # the token names the review; its region is read to grant it (no listing happens here)
    region_id = db.session.execute(
        select(table.c.region_id).where(table.c.id == claims.object_id)
    ).scalar_one_or_none()
    if region_id is None:
        return False
    grant_region(region_id)
    return True


def _buddy_language(claims: ActionClaims, learner: Enrollment | None) -> str:
    """The buddy's language, as the email asking them (their locale, else the rollout's
    region's); without the learner, the language of whoever the token names."""
    if learner is None:
        return link_page_language(claims, request.accept_languages)
    return person_language(db.session.get(Person, claims.person_id), learner.rollout.region)


def _load_signoff(
    token: str,
) -> tuple[TermReview | None, Enrollment | None, str | None, str]:
    """The review, the learner, the problem with the link (or None) and the page language."""
    claims, problem = _buddy_claims(token)
    if claims is None:
        return None, None, "invalid", accepted_language(request.accept_languages)
    # the review may be gone: the token still names the buddy
    review_row = (
        db.session.get(TermReview, claims.object_id) if _grant_review_region(claims) else None
    )
    learner = db.session.get(Enrollment, review_row.enrollment_id) if review_row else None
    lang = _buddy_language(claims, learner)
    if problem or review_row is None or learner is None:
        return None, None, problem or "invalid", lang
    g.buddy_person_id = claims.person_id
    return review_row, learner, None, lang


def _signoff_page(lang: str, **context: Any) -> str:
    return render_template(
        page_templates("terms/buddy_signoff.html", lang), page_lang=lang, **context
    )


@bp.get("/buddy/term/<token>")
@public
def buddy_signoff(token: str) -> Any:
    review_row, learner, problem, lang = _load_signoff(token)
    if problem:
        return _signoff_page(lang, problem=problem), 404
    term = db.session.get(Term, review_row.term_id)  # type: ignore[union-attr]
    return _signoff_page(
        lang,
        problem=None,
        review=review_row,
        learner=learner,
        term=term,
        token=token,
    )


@bp.post("/buddy/term/<token>")
@public
def buddy_signoff_confirm(token: str) -> Any:
    review_row, learner, problem, lang = _load_signoff(token)
    if problem:
        return _signoff_page(lang, problem=problem), 404
    assert review_row is not None
    try:
        confirm_buddy_term(review=review_row, buddy_person_id=g.buddy_person_id)
    except ReviewError:
        db.session.rollback()
        return _signoff_page(lang, problem="not_buddy"), 403
    db.session.commit()
    term = db.session.get(Term, review_row.term_id)
    return _signoff_page(
        lang,
        problem=None,
        review=review_row,
        learner=learner,
        term=term,
        token=token,
        done=True,
    )
