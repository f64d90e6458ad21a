"""Call pages of the staff: the series and its dashboard, one session.

Thin: load → authorise → one service → render. A refused change (a Teams meeting not
created, a change the series does not allow, an unreadable attendance file, notes
refused) is rolled back and flashed by one handler (``flash_refusals``), back on the
page the form was on. The learner's question page is ``app/calls/public.py``.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from app.auth.access import current_staff, may_see_names, require_role
from app.auth.models import Role
from app.calendar import weekday_names
from app.calls import attendance, changes, forms, queries, services
from app.calls.meetings import MeetingUnavailable
from app.calls.models import CallQuestion, CallSession
from app.calls.questions import QuestionRefused, save_notes, set_answered
from app.db import utcnow
from app.language import N_, gettext, ngettext
from app.rollouts.models import Rollout
from app.scoping import get_in_region_or_404
from app.transaction import flash_refusals

bp = Blueprint("calls", __name__)

HOSTS = (Role.LOCAL_LEAD, Role.EXPERT, Role.HR_PARTNER)
PER_PAGE = 100
TEAMS_REFUSED = N_(
    "Microsoft Teams did not create the meeting for these calls, so nothing was changed. "
    "Try again in a few minutes, or enter a join URL."
)
MAX_UPLOAD = 20 * 1024 * 1024


def _back() -> str:
    """The page a refused form was posted from: the session's, else the series'."""
    values = request.view_args or {}
    if "session_id" in values:
        return url_for("calls.session_page", slug=values["slug"], session_id=values["session_id"])
    return url_for("calls.index", slug=values.get("slug"))


flash_refusals(bp, MeetingUnavailable, back=_back, message=lambda exc: gettext(TEAMS_REFUSED))
flash_refusals(
    bp, changes.CallChangeError, attendance.AttendanceFileError, QuestionRefused, back=_back
)


def _load(slug: str, session_id: int | None = None) -> tuple[Rollout, CallSession | None]:
    rollout = get_in_region_or_404(Rollout, slug=slug)
    if session_id is None:
        return rollout, None
    session = get_in_region_or_404(CallSession, session_id)
    if session.rollout_id != rollout.id:
        abort(404)
    return rollout, session


@bp.get("/r/<region>/rollouts/<slug>/calls")
def index(slug: str) -> Any:
    rollout, _ = _load(slug)
    sessions = services.sessions_of(rollout.id)
    rates = queries.session_rates(rollout.id)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    names = may_see_names()
    learners, total = (
        queries.learner_rates(rollout_id=rollout.id, page=page, per_page=PER_PAGE)
        if names
        else ([], 0)
    )
    return render_template(
        "calls/index.html",
        rollout=rollout,
        sessions=sessions,
        rates=rates,
        overall=queries.overall_rate(rates),
        learners=learners,
        page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1),
        now=utcnow(),
        weekdays=weekday_names(),
        names=names,
    )


@bp.post("/r/<region>/rollouts/<slug>/calls/generate")
@require_role(Role.LOCAL_LEAD)
def generate(slug: str) -> Any:
    rollout, _ = _load(slug)
    created = services.generate_series(region=g.region, rollout=rollout, actor=current_staff())
    flash(
        ngettext(
            "%(num)s session created; invitations are on their way.",
            "%(num)s sessions created; invitations are on their way.",
            len(created),
        ),
        "success",
    )
    return redirect(url_for("calls.index", slug=slug))


@bp.post("/r/<region>/rollouts/<slug>/calls/series")
@require_role(Role.LOCAL_LEAD)
def change_series(slug: str) -> Any:
    rollout, _ = _load(slug)
    form = forms.SeriesForm()
    if not form.validate():
        flash(form.first_error() or gettext(forms.SLOT_NEEDED), "error")
        return redirect(url_for("calls.index", slug=slug))
    changed, cancelled, created = changes.change_series(
        region=g.region,
        rollout=rollout,
        weekday=form.weekday.data,
        at=form.time.data,
        duration_minutes=form.duration.data,
        join_url=form.join_url.data or "",
        actor=current_staff(),
    )
    flash(
        gettext(
            "Series changed: %(changed)s sessions moved, %(cancelled)s cancelled, %(created)s "
            "added. Attendees get the update.",
            changed=changed,
            cancelled=cancelled,
            created=created,
        ),
        "success",
    )
    return redirect(url_for("calls.index", slug=slug))


@bp.get("/r/<region>/rollouts/<slug>/calls/<int:session_id>")
def session_page(slug: str, session_id: int) -> Any:
    rollout, session = _load(slug, session_id)
    assert session is not None
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    search = request.args.get("q", "")[:100]
    expected = queries.expected_at_session(session, page=page, per_page=PER_PAGE, search=search)
    marks = queries.attendance_marks(session.id, [e.id for e in expected])
    # "select all" / "clear all" without JavaScript: the page comes back with every
    # listed box ticked or cleared, nothing saved until "Save attendance"
    preset = request.args.get("select")
    checked = {
        e.id: preset == "all" if preset in ("all", "none") else marks.get(e.id, (False,))[0]
        for e in expected
    }
    return render_template(
        "calls/session.html",
        rollout=rollout,
        session=session,
        groups=services.questions_by_group(session.id),
        expected=expected,
        marks=marks,
        checked=checked,
        search=search,
        minimum=attendance.min_attendance_minutes(rollout.region),
        rate=queries.session_rates(rollout.id).get(session.id),
        page=page,
        now=utcnow(),
        local=session.starts_at.astimezone(ZoneInfo(rollout.region.time_zone)),
        names=may_see_names(),
    )


def _to_session(slug: str, session_id: int) -> Any:
    return redirect(url_for("calls.session_page", slug=slug, session_id=session_id))


@bp.post("/r/<region>/rollouts/<slug>/calls/<int:session_id>/move")
@require_role(Role.LOCAL_LEAD)
def move(slug: str, session_id: int) -> Any:
    _, session = _load(slug, session_id)
    form = forms.MoveForm()
    if not form.validate():
        flash(form.first_error() or gettext(forms.MOVE_NEEDED), "error")
        return _to_session(slug, session_id)
    changes.move_session(
        region=g.region,
        session=session,
        day=form.date.data,
        at=form.time.data,
        note=form.note.data or "",
        actor=current_staff(),
    )
    flash(gettext("Session moved; attendees get the updated invitation."), "success")
    return _to_session(slug, session_id)


@bp.post("/r/<region>/rollouts/<slug>/calls/<int:session_id>/cancel")
@require_role(Role.LOCAL_LEAD)
def cancel(slug: str, session_id: int) -> Any:
    _, session = _load(slug, session_id)
    form = forms.CancelForm()
    changes.cancel_session(
        region=g.region, session=session, note=form.note.data or "", actor=current_staff()
    )
    flash(gettext("Session cancelled; attendees get the cancellation."), "success")
    return _to_session(slug, session_id)


@bp.post("/r/<region>/rollouts/<slug>/calls/<int:session_id>/skip")
@require_role(Role.LOCAL_LEAD, Role.EXPERT)
def skip(slug: str, session_id: int) -> Any:
    _, session = _load(slug, session_id)
    form = forms.CancelForm()
    announced = changes.skip_session(
        region=g.region, session=session, note=form.note.data or "", actor=current_staff()
    )
    if announced:
        flash(gettext("This week's call is skipped; everyone invited gets the update."), "success")
    else:
        flash(
            gettext("This week's call is skipped. Nobody was invited yet: nobody is emailed."),
            "success",
        )
    return _to_session(slug, session_id)


@bp.post("/r/<region>/rollouts/<slug>/calls/<int:session_id>/questions/<int:question_id>")
@require_role(*HOSTS)
def answer(slug: str, session_id: int, question_id: int) -> Any:
    _, session = _load(slug, session_id)
    question = get_in_region_or_404(CallQuestion, question_id)
    if session is None or question.session_id != session.id:
        abort(404)
    form = forms.AnswerForm()
    set_answered(
        region=g.region, question=question, answered=form.answered.data, actor=current_staff()
    )
    return redirect(url_for("calls.session_page", slug=slug, session_id=session_id) + "#questions")


@bp.post("/r/<region>/rollouts/<slug>/calls/<int:session_id>/attendance")
@require_role(*HOSTS)
def record_attendance(slug: str, session_id: int) -> Any:
    _, session = _load(slug, session_id)
    form = forms.AttendanceForm()
    n = attendance.record_attendance(
        region=g.region,
        session=session,
        present=form.present.data,
        listed=form.listed.data,
        actor=current_staff(),
    )
    flash(gettext("Attendance saved: %(num)s present.", num=n), "success")
    return _to_session(slug, session_id)


@bp.post("/r/<region>/rollouts/<slug>/calls/<int:session_id>/attendance/upload")
@require_role(*HOSTS)
def upload_attendance(slug: str, session_id: int) -> Any:
    rollout, session = _load(slug, session_id)
    upload = forms.AttendanceUploadForm().report.data
    data = upload.read(MAX_UPLOAD + 1) if upload else b""
    if not data or len(data) > MAX_UPLOAD:
        flash(
            gettext("Choose the attendance report file (CSV as Teams exports it, under 20 MB)."),
            "error",
        )
        return _to_session(slug, session_id)
    result = attendance.import_report(
        region=g.region, session=session, data=data, actor=current_staff()
    )
    return render_template(
        "calls/upload_result.html", rollout=rollout, session=session, result=result
    )


@bp.post("/r/<region>/rollouts/<slug>/calls/<int:session_id>/notes")
@require_role(*HOSTS)
def notes(slug: str, session_id: int) -> Any:
    _, session = _load(slug, session_id)
    form = forms.NotesForm()
    scheduled = save_notes(
        region=g.region,
        session=session,
        notes=form.notes.data or "",
        send=form.send.data,
        actor=current_staff(),
    )
    if scheduled:
        flash(gettext("Notes saved; they are on their way to everyone invited."), "success")
    elif form.send.data:
        flash(
            gettext("Notes saved. They were already sent once: invitees are not mailed again."),
            "success",
        )
    else:
        flash(gettext("Notes saved."), "success")
    return _to_session(slug, session_id)
