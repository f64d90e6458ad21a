"""The learner's pages behind signed links: the journey page, pausing and resuming the
weekly email (GET shows a confirmation, POST acts), and the weekly email's measured links.

Measurement, not state: :func:`follow` (a link in the weekly email) and :func:`pixel`
(the open pixel, only in regions whose policy is ``named``) append one ``JourneyEvent``
and nothing else. No enrollment, progress or decision reads those rows; only the region
report counts them. A mail scanner opening the link is counted as a click: the figure
is a measurement, and it says so in the report.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from app.auth.access import public
from app.calls.models import CallSession, CallStatus
from app.calls.services import question_url
from app.journey import queries, services
from app.journey.content import TARGETS, WeekContent
from app.journey.models import EventKind, JourneySend
from app.links.services import LinkExpired, LinkInvalid, open_link
from app.rollouts.models import Enrollment
from app.transaction import writes_on_get

public_bp = Blueprint("journey_public", __name__)

#: a transparent 1×1 GIF
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _enrollment(token: str) -> Enrollment:
    link = open_link(
        token, purpose=services.JOURNEY_PURPOSE, model=Enrollment, max_age=services.LINK_MAX_AGE
    )
    if link.obj.person_id != link.claims.person_id or link.obj.person.erased_at is not None:
        raise LinkInvalid(link.claims)
    return link.obj


@public_bp.get("/journey/<token>")
@public
def page(token: str) -> Any:
    enrollment = _enrollment(token)
    return render_template(
        "journey/page.html",
        journey=queries.journey_of(enrollment),
        enrollment=enrollment,
        token=token,
        in_program=queries.still_in_program(enrollment),
        flash=request.args.get("done"),
    )


@public_bp.route("/journey/<token>/pause", methods=["GET", "POST"])
@public
def pause(token: str) -> Any:
    return _toggle(token, pausing=True)


@public_bp.route("/journey/<token>/resume", methods=["GET", "POST"])
@public
def resume(token: str) -> Any:
    return _toggle(token, pausing=False)


def _toggle(token: str, *, pausing: bool) -> Any:
    enrollment = _enrollment(token)
    if request.method == "POST":
        if pausing:
            services.pause(enrollment, actor=enrollment.person)
        else:
            services.resume(enrollment, actor=enrollment.person)
        done = "paused" if pausing else "resumed"
        return redirect(url_for("journey_public.page", token=token, done=done), code=303)
    return render_template(
        "journey/confirm.html",
        enrollment=enrollment,
        pausing=pausing,
        paused=services.is_paused(enrollment.id),
        token=token,
    )


def _send(token: str) -> JourneySend:
    link = open_link(
        token, purpose=services.TRACK_PURPOSE, model=JourneySend, max_age=services.LINK_MAX_AGE
    )
    send = link.obj
    enrollment = send.enrollment
    if enrollment.person_id != link.claims.person_id:
        raise LinkInvalid(link.claims)
    return send


@public_bp.get("/journey/go/<token>/<target>")
@public
@writes_on_get  # a measurement (an append-only JourneyEvent), no business state
def follow(token: str, target: str) -> Any:
    """A link of the weekly email: count the click (a measurement), then go on."""
    if target not in TARGETS:
        raise LinkInvalid()
    send = _send(token)
    services.record_event(send, EventKind.CLICK)
    enrollment = send.enrollment
    if target == "course":
        return redirect(enrollment.rollout.program.course_url, code=303)
    if target == "question":
        call = _call_of(send)
        if call is not None:
            return redirect(question_url(call, enrollment.person_id), code=303)
    return redirect(services.journey_url(enrollment), code=303)


def _call_of(send: JourneySend) -> CallSession | None:
    week = WeekContent(region=send.enrollment.rollout.region, week=send.week, now=send.created_at)
    call = week.rollout(send.enrollment.rollout_id).call
    if call is None or call.status is not CallStatus.SCHEDULED:
        return None
    return call


@public_bp.get("/journey/open/<token>.gif")
@public
@writes_on_get  # a measurement (an append-only JourneyEvent), no business state
def pixel(token: str) -> Response:
    """The open pixel: counts an open where the send measures opens; always the image."""
    try:
        send = _send(token)
    except (LinkInvalid, LinkExpired):
        pass
    else:
        services.record_event(send, EventKind.OPEN)
    response = Response(PIXEL, mimetype="image/gif")
    response.headers["Cache-Control"] = "no-store, private"
    return response
