"""Rollout pages (the workspace of a region's run of a program) and the commit page."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app import charts
from app.auth.access import current_staff, grant_region, public, require_role
from app.auth.models import EDITOR_ROLES, Role
from app.auth.queries import local_leads
from app.calendar import parse_hhmm, weekday_names
from app.db import utcnow
from app.extensions import db
from app.freshlinks.services import link_page_language
from app.language import page_templates, person_language
from app.links.services import LinkInvalid, claims_of, read_token
from app.people.models import Person
from app.programs.models import Program, Term
from app.rates import completion_rate
from app.readcache import cached_page

# the roster import pages: their own module, on the same blueprint
from app.rollouts import buddies, onboarding, roster_routes  # noqa: F401
from app.rollouts.blueprints import bp, public_bp
from app.rollouts.models import (
    FUNNEL,
    Enrollment,
    EnrollmentState,
    Rollout,
    RolloutStatus,
)
from app.rollouts.queries import completion_weeks, dashboard_counts, funnel, local_lead_names
from app.rollouts.services import (
    RolloutError,
    RolloutInput,
    close_rollout,
    launch_rollout,
    parse_sponsors,
    region_defaults,
    save_rollout,
    staff_with_role,
)
from app.rollouts.texts import call_slot
from app.scoping import get_in_region_or_404, set_region_scope

PAGE_SIZE = 50


@bp.get("/r/<region>/rollouts/<slug>")
@cached_page
def overview(slug: str) -> Any:
    rollout = get_in_region_or_404(
        Rollout,
        slug=slug,
        options=(
            selectinload(Rollout.sponsors),
            joinedload(Rollout.program)
            .selectinload(Program.terms)
            .selectinload(Term.required_modules),
        ),
    )
    dashboard = dashboard_counts(rollout.id)
    counts = dashboard.states
    stages = funnel(counts)
    invited = stages[0][1] if stages else 0
    return render_template(
        "rollouts/overview.html",
        rollout=rollout,
        funnel=[(stage, n, (n / invited) if invited else None) for stage, n in stages],
        counts=counts,
        completion_rate=completion_rate(
            completed=counts[EnrollmentState.COMPLETED],
            enrolled=sum(counts.values()),
            withdrawn=counts[EnrollmentState.WITHDRAWN],
        ),
        counts_left={
            "withdrawn": counts[EnrollmentState.WITHDRAWN],
            "removed": counts[EnrollmentState.REMOVED],
        },
        missing=dashboard.missing,
        no_manager=dashboard.no_manager,
        unpaired=dashboard.unpaired,
        leads=local_lead_names(rollout.region_id),
        funnel_chart=charts.funnel([(charts.stage_label(s), n) for s, n in stages]),
        trend_chart=charts.trend(
            completion_weeks(rollout.region, utcnow(), rollout_ids=[rollout.id])
        ),
        can_edit=_can_edit(),
        can_see_names=_can_see_names(),
    )


def _can_see_names() -> bool:
    """Sponsors read counts only: names stay with the staff who run the rollout."""
    return bool((g.get("region_roles") or set()) & EDITOR_ROLES)


def _can_edit() -> bool:
    roles = g.get("region_roles") or set()
    return bool(roles & {Role.GLOBAL_ADMIN, Role.LOCAL_LEAD})


@bp.get("/r/<region>/rollouts/<slug>/learners")
def learners(slug: str) -> Any:
    """The list behind a number of the funnel (``stage``), or the flagged ones."""
    rollout = get_in_region_or_404(Rollout, slug=slug)
    if not _can_see_names():
        abort(403)
    stage = request.args.get("stage", "invited")
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    stmt = select(Enrollment).join(Person).where(Enrollment.rollout_id == rollout.id)
    if stage == "missing":
        stmt = stmt.where(Enrollment.missing_from_roster)
        label = "Missing from the last roster"
    elif stage == "no_manager":
        stmt = stmt.where(
            Person.manager_id.is_(None),
            Enrollment.state.not_in([EnrollmentState.REMOVED, EnrollmentState.WITHDRAWN]),
        )
        label = "Without a manager (you sign off their study time; fix it in the next roster)"
    elif stage in {s.value for s in FUNNEL}:
        reached = FUNNEL[[s.value for s in FUNNEL].index(stage) :]
        stmt = stmt.where(Enrollment.state.in_(reached))
        label = f"Reached “{stage.replace('_', ' ')}”"
    elif stage in {s.value for s in EnrollmentState}:
        stmt = stmt.where(Enrollment.state == EnrollmentState(stage))
        label = stage.capitalize()
    else:
        abort(404)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(
        stmt.order_by(Person.name, Enrollment.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "rollouts/learners.html",
        rollout=rollout,
        rows=rows,
        stage=stage,
        label=label,
        page=page,
        total=total,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
    )


# --- create, edit, launch, close ------------------------------------------------------


def _form_input() -> tuple[RolloutInput, dict[str, str]]:
    f = request.form
    errors: dict[str, str] = {}

    def as_int(name: str) -> int | None:
        try:
            return int(f.get(name, ""))
        except ValueError:
            return None

    try:
        cohort = date.fromisoformat(f.get("cohort_start", ""))
    except ValueError:
        cohort = None
    call_at = parse_hhmm(f.get("call_time", ""))
    sponsors, bad = parse_sponsors(f.get("sponsors", ""))
    if bad:
        errors["sponsors"] = (
            f"Could not read {', '.join(bad)}: write one sponsor per line as Name <email>."
        )
    return (
        RolloutInput(
            slug=f.get("slug", "").strip().lower(),
            program_id=as_int("program_id"),
            cohort_start=cohort,
            call_weekday=as_int("call_weekday"),
            call_time=call_at,
            call_duration_minutes=as_int("call_duration_minutes"),
            call_join_url=f.get("call_join_url", "").strip(),
            expert_id=as_int("expert_id"),
            hr_partner_id=as_int("hr_partner_id"),
            sponsor_message=f.get("sponsor_message", ""),
            sponsors=sponsors,
        ),
        errors,
    )


def _render_form(rollout: Rollout | None, values: dict[str, Any], errors: dict[str, str]) -> Any:
    region = g.region
    return render_template(
        "rollouts/form.html",
        rollout=rollout,
        values=values,
        errors=errors,
        programs=db.session.scalars(select(Program).order_by(Program.title)).all(),
        experts=staff_with_role(region, Role.EXPERT),
        hr_partners=staff_with_role(region, Role.HR_PARTNER),
        leads=local_leads(region.id),
        weekdays=weekday_names(),
    ), (400 if errors else 200)


def _values_from(rollout: Rollout | None) -> dict[str, Any]:
    if rollout is None:
        d = region_defaults(g.region)
        return {
            "call_weekday": d["call_weekday"],
            "call_time": d["call_time"].strftime("%H:%M") if d["call_time"] else "16:00",
            "call_duration_minutes": d["call_duration_minutes"],
            "slug": "",
            "sponsors": "",
        }
    return {
        "slug": rollout.slug,
        "program_id": rollout.program_id,
        "cohort_start": rollout.cohort_start.isoformat(),
        "call_weekday": rollout.call_weekday,
        "call_time": rollout.call_time.strftime("%H:%M"),
        "call_duration_minutes": rollout.call_duration_minutes,
        "call_join_url": rollout.call_join_url,
        "expert_id": rollout.expert_id,
        "hr_partner_id": rollout.hr_partner_id,
        "sponsor_message": rollout.sponsor_message,
        "sponsors": "\n".join(f"{s.name} <{s.email}>" for s in rollout.sponsors),
    }


@bp.route("/r/<region>/rollouts/new", methods=["GET", "POST"])
@require_role(Role.LOCAL_LEAD)
def create() -> Any:
    return _save(None)


@bp.route("/r/<region>/rollouts/<slug>/edit", methods=["GET", "POST"])
@require_role(Role.LOCAL_LEAD)
def edit(slug: str) -> Any:
    return _save(get_in_region_or_404(Rollout, slug=slug))


def _save(rollout: Rollout | None) -> Any:
    if request.method == "GET":
        return _render_form(rollout, _values_from(rollout), {})
    data, errors = _form_input()
    try:
        saved = save_rollout(region=g.region, rollout=rollout, data=data, actor=current_staff())
    except RolloutError as exc:
        errors = {**exc.errors, **errors}
    if errors:
        db.session.rollback()
        return _render_form(rollout, dict(request.form), errors)
    db.session.commit()
    flash("Rollout saved.", "success")
    return redirect(url_for("rollouts.overview", slug=saved.slug))


def _change_status(slug: str, change: Any, done: str) -> Any:
    """Run a status change (launch, close) and come back to the rollout with its outcome."""
    rollout = get_in_region_or_404(Rollout, slug=slug)
    try:
        change(region=g.region, rollout=rollout, actor=current_staff())
    except RolloutError as exc:
        flash(str(exc), "error")
        return redirect(url_for("rollouts.overview", slug=slug))
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("rollouts.overview", slug=slug))


@bp.post("/r/<region>/rollouts/<slug>/launch")
@require_role(Role.LOCAL_LEAD)
def launch(slug: str) -> Any:
    return _change_status(
        slug, launch_rollout, "Launched: every learner is being invited to commit."
    )


@bp.post("/r/<region>/rollouts/<slug>/close")
@require_role(Role.LOCAL_LEAD)
def close(slug: str) -> Any:
    return _change_status(slug, close_rollout, "Closed.")


# --- buddies -------------------------------------------------------------------------------


@bp.post("/r/<region>/rollouts/<slug>/buddies/pair")
@require_role(Role.LOCAL_LEAD)
def pair(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    groups = buddies.pair_buddies(region=g.region, rollout=rollout)
    db.session.commit()
    flash(f"{len(groups)} buddy groups formed; each member got an introduction.", "success")
    return redirect(url_for("rollouts.overview", slug=slug))


@bp.post("/r/<region>/rollouts/<slug>/buddies/swap")
@require_role(Role.LOCAL_LEAD)
def swap(slug: str) -> Any:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    picked = []
    for name in ("first", "second"):
        ref = request.form.get(name, "").strip().lower()
        enrollment = db.session.scalars(
            select(Enrollment)
            .join(Person)
            .where(
                Enrollment.rollout_id == rollout.id,
                (func.lower(Person.employee_id) == ref) | (Person.email == ref),
            )
        ).one_or_none()
        if enrollment is None:
            flash(f"No learner of this rollout with employee id or email “{ref}”.", "error")
            return redirect(url_for("rollouts.overview", slug=slug))
        picked.append(enrollment)
    try:
        buddies.swap_buddies(
            region=g.region,
            rollout=rollout,
            first=picked[0],
            second=picked[1],
            actor=current_staff(),
        )
    except buddies.BuddyError as exc:
        flash(str(exc), "error")
        return redirect(url_for("rollouts.overview", slug=slug))
    db.session.commit()
    flash("Swapped; both groups got a new introduction.", "success")
    return redirect(url_for("rollouts.overview", slug=slug))


# --- the learner's commit page (signed link) --------------------------------------------


def _enrollment_from_token(token: str) -> tuple[Enrollment | None, str | None]:
    try:
        # an expired link raises LinkExpired: the links' page offers a fresh one by email
        claims = read_token(token, purpose=onboarding.COMMIT_PURPOSE)
    except LinkInvalid:
        return None, "invalid"
    # the verified token names the enrollment: look up only its region, then scope to it
    set_region_scope(db.session, None)
    try:
        enrollment_region = db.session.execute(
            select(Enrollment.region_id).where(Enrollment.id == claims.object_id)
        ).scalar_one_or_none()
    finally:
        set_region_scope(db.session, [])
    if enrollment_region is None:
        return None, "invalid"
    grant_region(enrollment_region)
    enrollment = onboarding.load_for_commit(claims.object_id, claims.person_id)
    return (enrollment, None) if enrollment else (None, "invalid")


@public_bp.route("/join/<token>", methods=["GET", "POST"])
@public
def commit_page(token: str) -> Any:
    """GET shows the program and the pledge form; POST pledges (never on GET)."""
    enrollment, problem = _enrollment_from_token(token)
    if enrollment is None:
        # in the learner's language when the token is genuine, else the browser's
        claims = claims_of(token, purpose=onboarding.COMMIT_PURPOSE)
        lang = link_page_language(claims, request.accept_languages)
        page = page_templates("rollouts/link_problem.html", lang)
        return render_template(page, problem=problem, page_lang=lang), 404
    rollout = enrollment.rollout
    lang = person_language(enrollment.person, rollout.region)
    error = None
    if request.method == "POST":
        try:
            onboarding.commit_enrollment(
                region=rollout.region,
                enrollment=enrollment,
                goal=request.form.get("goal", ""),
                buddy=request.form.get("buddy", ""),
            )
            db.session.commit()
            return redirect(url_for("rollouts_public.commit_page", token=token))
        except onboarding.CommitError as exc:
            db.session.rollback()
            error = exc.in_language(lang)
    return render_template(
        page_templates("rollouts/commit.html", lang),
        page_lang=lang,
        enrollment=enrollment,
        rollout=rollout,
        program=rollout.program,
        call_slot=call_slot(rollout, lang),
        committed=enrollment.state is not EnrollmentState.INVITED,
        open=rollout.status is RolloutStatus.LAUNCHED,
        error=error,
        form=request.form,
    ), (400 if error else 200)
