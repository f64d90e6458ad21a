"""Call pages: the series and its dashboard, one session, the learner's question page."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from app.auth.access import current_staff, grant_region, may_see_names, public, require_role
from app.auth.models import Role
from app.calendar import parse_hhmm, weekday_names
from app.calls import attendance, changes, emails, queries, services
from app.calls.meetings import MeetingUnavailable
from app.calls.models import CallAttendance, CallQuestion, CallSession
from app.calls.questions import (
    QuestionRefused,
    enrollment_for,
    save_notes,
    set_answered,
    submit_question,
)
from app.db import utcnow
from app.extensions import db
from app.links.services import LinkInvalid, read_token
from app.people.models import Person
from app.rollouts.models import Enrollment, Rollout
from app.scoping import get_in_region_or_404

bp = Blueprint("calls", __name__)
public_bp = Blueprint("calls_public", __name__)

HOSTS = (Role.LOCAL_LEAD, Role.EXPERT, Role.HR_PARTNER)
PER_PAGE = 100
TEAMS_REFUSED = (
    "Microsoft Teams did not create the meeting for these calls, so nothing was changed. "
    "Try again in a few minutes, or enter a join URL."
)
MAX_UPLOAD = 20 * 1024 * 1024


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
    try:
        created = services.generate_series(region=g.region, rollout=rollout, actor=current_staff())
    except MeetingUnavailable:
        db.session.rollback()
        flash(TEAMS_REFUSED, "error")
        return redirect(url_for("calls.index", slug=slug))
    db.session.commit()
    flash(f"{len(created)} sessions created; invitations are on their way.", "success")
    return redirect(url_for("calls.index", slug=slug))


@bp.post("/r/<region>/rollouts/<slug>/calls/series")
@require_role(Role.LOCAL_LEAD)
def change_series(slug: str) -> Any:
    rollout, _ = _load(slug)
    weekday = request.form.get("weekday", type=int)
    at = parse_hhmm(request.form.get("time", ""))
    duration = request.form.get("duration", type=int)
    join_url = request.form.get("join_url", "").strip()
    if weekday is None or at is None or duration is None:
        flash("Choose a weekday, a time (HH:MM) and a length in minutes.", "error")
        return redirect(url_for("calls.index", slug=slug))
    if join_url and not join_url.startswith("https://"):
        flash("The join URL must start with https://.", "error")
        return redirect(url_for("calls.index", slug=slug))
    try:
        changed, cancelled, created = changes.change_series(
            region=g.region,
            rollout=rollout,
            weekday=weekday,
            at=at,
            duration_minutes=duration,
            join_url=join_url,
            actor=current_staff(),
        )
    except MeetingUnavailable:
        db.session.rollback()
        flash(TEAMS_REFUSED, "error")
        return redirect(url_for("calls.index", slug=slug))
    except changes.CallChangeError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("calls.index", slug=slug))
    db.session.commit()
    flash(
        f"Series changed: {changed} sessions moved, {cancelled} cancelled, {created} added. "
        "Attendees get the update.",
        "success",
    )
    return redirect(url_for("calls.index", slug=slug))


@bp.get("/r/<region>/rollouts/<slug>/calls/<int:session_id>")
def session_page(slug: str, session_id: int) -> Any:
    rollout, session = _load(slug, session_id)
    assert session is not None
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    expected = db.session.execute(
        select(Enrollment.id, Person.name, Person.email)
        .join(Person, Person.id == Enrollment.person_id)
        .where(Enrollment.rollout_id == rollout.id, queries._expected_at(session.starts_at))
        .order_by(Person.name, Enrollment.id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    marks = dict(
        db.session.execute(
            select(CallAttendance.enrollment_id, CallAttendance.attended).where(
                CallAttendance.session_id == session.id,
                CallAttendance.enrollment_id.in_([e.id for e in expected]),
            )
        ).all()
    )
    rate = queries.session_rates(rollout.id).get(session.id)
    return render_template(
        "calls/session.html",
        rollout=rollout,
        session=session,
        groups=services.questions_by_group(session.id),
        expected=expected,
        marks=marks,
        rate=rate,
        page=page,
        now=utcnow(),
        local=session.starts_at.astimezone(_zone(rollout)),
        names=may_see_names(),
    )


def _zone(rollout: Rollout) -> Any:

    return ZoneInfo(rollout.region.time_zone)


@bp.post("/r/<region>/rollouts/<slug>/calls/<int:session_id>/move")
@require_role(Role.LOCAL_LEAD)
def move(slug: str, session_id: int) -> Any:
    _, session = _load(slug, session_id)
    assert session is not None
    try:
        day = date.fromisoformat(request.form.get("date", ""))
    except ValueError:
        day = None
    at = parse_hhmm(request.form.get("time", ""))
    if day is None or at is None:
        flash("Give the new date (YYYY-MM-DD) and time (HH:MM).", "error")
        return redirect(url_for("calls.session_page", slug=slug, session_id=session_id))
    try:
        changes.move_session(
            region=g.region,
            session=session,
            day=day,
            at=at,
            note=request.form.get("note", "").strip()[:300],
            actor=current_staff(),
        )
    except changes.CallChangeError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("calls.session_page", slug=slug, session_id=session_id))
    db.session.commit()
    flash("Session moved; attendees get the updated invitation.", "success")
    return redirect(url_for("calls.session_page", slug=slug, session_id=session_id))


@bp.post("/r/<region>/rollouts/<slug>/calls/<int:session_id>/cancel")
@require_role(Role.LOCAL_LEAD)
def cancel(slug: str, session_id: int) -> Any:
    _, session = _load(slug, session_id)
    assert session is not None
    try:
        changes.cancel_session(
            region=g.region,
            session=session,
            note=request.form.get("note", "").strip()[:300],
            actor=current_staff(),
        )
    except changes.CallChangeError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("calls.session_page", slug=slug, session_id=session_id))
    db.session.commit()
    flash("Session cancelled; attendees get the cancellation.", "success")
    return redirect(url_for("calls.session_page", slug=slug, session_id=session_id))


@bp.post("/r/<region>/rollouts/<slug>/calls/<int:session_id>/questions/<int:question_id>")
@require_role(*HOSTS)
def answer(slug: str, session_id: int, question_id: int) -> Any:
    _, session = _load(slug, session_id)
    question = get_in_region_or_404(CallQuestion, question_id)
    if session is None or question.session_id != session.id:
        abort(404)
    set_answered(
        region=g.region,
        question=question,
        answered=request.form.get("answered") == "1",
        actor=current_staff(),
    )
    db.session.commit()
    return redirect(url_for("calls.session_page", slug=slug, session_id=session_id) + "#questions")


@bp.post("/r/<region>/rollouts/<slug>/calls/<int:session_id>/attendance")
@require_role(*HOSTS)
def record_attendance(slug: str, session_id: int) -> Any:
    _, session = _load(slug, session_id)
    assert session is not None
    present = {int(v) for v in request.form.getlist("present") if v.isdigit()}
    listed = {int(v) for v in request.form.getlist("listed") if v.isdigit()}
    n = attendance.record_attendance(
        region=g.region, session=session, present=present, listed=listed, actor=current_staff()
    )
    db.session.commit()
    flash(f"Attendance saved: {n} present.", "success")
    return redirect(url_for("calls.session_page", slug=slug, session_id=session_id))


@bp.post("/r/<region>/rollouts/<slug>/calls/<int:session_id>/attendance/upload")
@require_role(*HOSTS)
def upload_attendance(slug: str, session_id: int) -> Any:
    rollout, session = _load(slug, session_id)
    assert session is not None
    upload = request.files.get("report")
    data = upload.read(MAX_UPLOAD + 1) if upload else b""
    if not data or len(data) > MAX_UPLOAD:
        flash("Choose the attendance report file (CSV as Teams exports it, under 20 MB).", "error")
        return redirect(url_for("calls.session_page", slug=slug, session_id=session_id))
    try:
        result = attendance.import_report(
            region=g.region, session=session, data=data, actor=current_staff()
        )
    except attendance.AttendanceFileError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("calls.session_page", slug=slug, session_id=session_id))
    db.session.commit()
    return render_template(
        "calls/upload_result.html", rollout=rollout, session=session, result=result
    )


@bp.post("/r/<region>/rollouts/<slug>/calls/<int:session_id>/notes")
@require_role(*HOSTS)
def notes(slug: str, session_id: int) -> Any:
    _, session = _load(slug, session_id)
    assert session is not None
    send = request.form.get("send") == "1"
    try:
        scheduled = save_notes(
            region=g.region,
            session=session,
            notes=request.form.get("notes", "")[:20000],
            send=send,
            actor=current_staff(),
        )
    except QuestionRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("calls.session_page", slug=slug, session_id=session_id))
    db.session.commit()
    if scheduled:
        flash("Notes saved; they are on their way to everyone invited.", "success")
    elif send:
        flash("Notes saved. They were already sent once: invitees are not mailed again.", "success")
    else:
        flash("Notes saved.", "success")
    return redirect(url_for("calls.session_page", slug=slug, session_id=session_id))


# --- the learner's signed link ---------------------------------------------------------


def _from_token(region_id: int, token: str) -> tuple[CallSession, Person]:
    """Verify the link, then let this request see its region (never before).

    404 for anything tampered or foreign; an expired link raises LinkExpired (the links'
    page offers a fresh one by email).
    """
    try:
        claims = read_token(token, purpose=services.QUESTION_PURPOSE)
    except LinkInvalid:
        abort(404)
    grant_region(region_id)
    session = db.session.get(CallSession, claims.object_id)
    person = db.session.get(Person, claims.person_id)
    if session is None or person is None or session.region_id != region_id:
        abort(404)
    if enrollment_for(session, person.id) is None:
        abort(404)
    return session, person


@public_bp.route("/calls/questions/<int:region_id>/<token>", methods=["GET", "POST"])
@public
def question_form(region_id: int, token: str) -> Any:
    """The learner's page: GET shows the form, POST stores the question."""
    session, person = _from_token(region_id, token)
    error = None
    saved = False
    if request.method == "POST":
        try:
            submit_question(
                region=session.rollout.region,
                session=session,
                person=person,
                text=request.form.get("text", ""),
                blocked=request.form.get("kind") == "stuck",
            )
            db.session.commit()
            saved = True
        except QuestionRefused as exc:
            db.session.rollback()
            error = str(exc)
    enrollment = enrollment_for(session, person.id)
    mine = db.session.scalars(
        select(CallQuestion)
        .where(
            CallQuestion.session_id == session.id,
            CallQuestion.enrollment_id == (enrollment.id if enrollment else -1),
        )
        .order_by(CallQuestion.id)
    ).all()
    return render_template(
        "calls/question_form.html",
        session=session,
        person=person,
        rollout=session.rollout,
        mine=mine,
        error=error,
        saved=saved,
        closed=session.cancelled or session.starts_at <= utcnow(),
        when=emails.when(
            session.starts_at,
            zone=person.time_zone or session.rollout.region.time_zone,
            locale=person.locale or session.rollout.region.locale,
        ),
        form_text=request.form.get("text", "") if error else "",
    ), (422 if error else 200)
