"""A rollout's workspace (the region's run of a program): the dashboard and the lists behind
its numbers, create and edit, launch and close. The buddies' pages are
``app/buddies/routes.py``, the roster import ``app/roster/routes.py``, and the learner's
commit page (signed link) ``app/rollouts/public.py``."""

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
from sqlalchemy.orm import joinedload, selectinload

from app import charts
from app.auth.access import current_staff, may_see_names, require_role
from app.auth.models import Role
from app.auth.queries import local_leads
from app.calendar import weekday_names
from app.db import utcnow
from app.language import N_, _, gettext
from app.programs.models import Program, Term
from app.rates import completion_rate
from app.readcache import cached_page
from app.rollouts import commitment, queries
from app.rollouts.buddies import PAIRABLE
from app.rollouts.checklist import draft_checklist, missing_for_launch
from app.rollouts.forms import RolloutForm
from app.rollouts.models import FUNNEL, EnrollmentState, Rollout, RolloutStatus
from app.rollouts.permissions import may_edit
from app.rollouts.queries import completion_weeks, dashboard_counts, funnel, local_lead_names
from app.rollouts.safety import invitation_audience
from app.rollouts.services import (
    RolloutError,
    RolloutInput,
    parse_sponsors,
    region_defaults,
    save_rollout,
    staff_with_role,
)
from app.scoping import get_in_region_or_404
from app.tabular import csv_lines
from app.transaction import rollback
from app.weeks import week_end

bp = Blueprint("rollouts", __name__)
PAGE_SIZE = 50
#: the lists of the dashboard that are not a funnel stage or a state
LIST_LABELS = {
    "missing": N_("Missing from the last roster"),
    "no_manager": N_(
        "Without a manager (you sign off their study time; fix it in the next roster)"
    ),
}


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
    stages = funnel(counts, dashboard.not_invited)
    invited = stages[0][1] if stages else 0
    draft = rollout.status is RolloutStatus.DRAFT
    audience = invitation_audience(rollout)
    steps = draft_checklist(rollout, dashboard, audience) if draft else []
    return render_template(
        "rollouts/overview.html",
        rollout=rollout,
        funnel=[(stage, n, (n / invited) if invited else None) for stage, n in stages],
        counts=counts,
        learners=sum(counts.values()),
        invited=invited,
        not_invited=dashboard.not_invited,
        committed=sum(counts[s] for s in PAIRABLE) + counts[EnrollmentState.COMPLETED],
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
        trend_chart=None if draft else charts.trend(_weeks_since_launch(rollout)),
        steps=steps,
        missing_for_launch=missing_for_launch(steps),
        audience=audience,
        can_edit=may_edit(),
        can_see_names=may_see_names(),
        declined=commitment.declined(rollout) if may_see_names() else [],
    )


def _weeks_since_launch(rollout: Rollout) -> list[tuple[str, float | None]]:
    """The completion trend's weeks that ended after the launch: none before it existed."""
    launched = rollout.launched_at or rollout.created_at
    return [
        (week, rate)
        for week, rate in completion_weeks(rollout.region, utcnow(), rollout_ids=[rollout.id])
        if week_end(week, rollout.region.time_zone) > launched
    ]


@bp.get("/r/<region>/rollouts/<slug>/learners")
@cached_page
def learners(slug: str) -> Any:
    """The rollout's learners: searched, filtered, sorted and paged on the server; the list
    behind a number of the funnel (``stage``) or the flagged ones; ``?format=csv`` streams
    the whole filtered list."""
    rollout = get_in_region_or_404(Rollout, slug=slug)
    if not may_see_names():
        abort(403)
    query = _learner_query()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    if request.args.get("format") == "csv":
        if queries.learners_query(rollout.id, rollout.region_id, query) is None:
            abort(404)
        return _learners_csv(rollout, query)
    listed = queries.learners_page(
        rollout.id, rollout.region_id, query, page=page, page_size=PAGE_SIZE
    )
    if listed is None:
        abort(404)
    rows, total = listed
    group_numbers = queries.buddy_group_numbers(rollout.id)
    args = {
        k: v
        for k, v in request.args.items()
        if k not in {"page", "sort", "dir", "format"} and v != ""
    }
    return render_template(
        "rollouts/learners.html",
        rollout=rollout,
        rows=rows,
        stage=query.stage,
        query=query,
        args=args,
        label=_list_label(query.stage),
        # each state's name translated once for the page, not once per row
        state_names={s.value: charts.stage_label(s) for s in EnrollmentState},
        managers=queries.manager_choices(rollout.id, rollout.region_id),
        group_numbers=group_numbers,
        groups_listed=len(group_numbers) <= queries.GROUP_CHOICES,
        sorts=[
            ("name", _("Name")),
            ("employee_id", _("Employee id")),
            ("email", _("Email")),
            ("state", _("State")),
            ("committed", _("Committed")),
        ],
        page=page,
        total=total,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
    )


def _learner_query() -> queries.LearnerQuery:
    return queries.LearnerQuery(
        stage=request.args.get("stage") or "all",
        q=(request.args.get("q") or "")[:200],
        manager_id=request.args.get("manager", type=int),
        manager_q=(request.args.get("manager_q") or "")[:200],
        buddy_group=request.args.get("group", type=int),
        sort=request.args.get("sort") or "name",
        descending=request.args.get("dir") == "desc",
    )


def _learners_csv(rollout: Rollout, query: queries.LearnerQuery) -> Response:
    header = [
        gettext("Name"),
        gettext("Email"),
        gettext("Employee id"),
        gettext("State"),
        gettext("Manager"),
        gettext("Buddy group"),
        gettext("Invited"),
        gettext("Committed"),
        gettext("Completed"),
    ]
    body = csv_lines(header, queries.learner_rows(rollout.id, rollout.region_id, query))
    return Response(
        stream_with_context(body),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{rollout.slug}-learners.csv"'},
    )


def _list_label(stage: str) -> str:
    if stage == "all":
        return gettext("Learners")
    if stage == "not_invited":
        return gettext("On the roster, not yet invited")
    if stage in LIST_LABELS:
        return gettext(LIST_LABELS[stage])
    if stage in {s.value for s in EnrollmentState} and stage not in {s.value for s in FUNNEL}:
        return charts.stage_label(stage)
    return gettext("Reached “%(stage)s”", stage=charts.stage_label(stage))


# --- create, edit (launch, close, reopen: app/rollouts/actions.py) ------------------


def _form_input() -> tuple[RolloutInput, dict[str, str]]:
    form = RolloutForm()
    errors: dict[str, str] = {}
    sponsors, bad = parse_sponsors(form.sponsors.data or "")
    if bad:
        errors["sponsors"] = _(
            "Could not read %(entries)s: write one sponsor per line as Name <email>.",
            entries=", ".join(bad),
        )
    return (
        RolloutInput(
            slug=form.slug.data or "",
            program_id=form.program_id.data,
            cohort_start=form.cohort_start.data,
            call_weekday=form.call_weekday.data,
            call_time=form.call_time.data,
            call_duration_minutes=form.call_duration_minutes.data,
            call_join_url=form.call_join_url.data or "",
            expert_id=form.expert_id.data,
            hr_partner_id=form.hr_partner_id.data,
            sponsor_message=form.sponsor_message.data or "",
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
        programs=queries.programs_by_title(),
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
            # "Adopt in <region>" on a program's page names the program
            "program_id": request.args.get("program", type=int),
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
        rollback()
        return _render_form(rollout, dict(request.form), errors)
    flash(_("Rollout saved."), "success")
    return redirect(url_for("rollouts.overview", slug=saved.slug))
