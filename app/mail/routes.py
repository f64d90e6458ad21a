"""The dev mailbox: every email in the outbox, rendered, with its links and attachments.

The default transport in development is ``dev``: nothing leaves the machine and
this page is where a new user opens the manager's email and clicks through. It
exists outside production only, or when ``MAIL_TRANSPORT=dev``; staff see the
emails of their regions (a global admin sees all), in their own language, each email's
times in its region's time zone (UTC for an email of no region).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request

from app.auth.access import current_staff
from app.mail.models import OutboundEmail
from app.mail.preview import inline_cid_images
from app.mail.queries import (
    attachment_of,
    links_in,
    mailbox_page,
    region_time_zones,
    visible_email,
)

bp = Blueprint("mail", __name__, url_prefix="/dev/mailbox")
PAGE_SIZE = 50
#: the email's own HTML is shown in a sandboxed frame: no scripts, no forms, its own styles
EMAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"
)


@bp.before_request
def _only_where_allowed() -> None:
    settings = current_app.extensions["summit.settings"]
    if settings.is_production and settings.mail_transport != "dev":
        abort(404)


def _email_or_404(email_id: int) -> OutboundEmail:
    email = visible_email(current_staff(), email_id)
    if email is None:
        abort(404)
    return email


@bp.get("/")
def mailbox() -> Any:
    page = max(1, request.args.get("page", 1, type=int))
    query = request.args.get("q", "").strip()
    emails, total = mailbox_page(current_staff(), search=query, page=page, page_size=PAGE_SIZE)
    return render_template(
        "mail/mailbox.html",
        emails=emails,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        total=total,
        q=query,
        zones=region_time_zones(emails),
        transport=current_app.extensions["summit.settings"].mail_transport,
    )


@bp.get("/<int:email_id>")
def message(email_id: int) -> Any:
    email = _email_or_404(email_id)
    return render_template(
        "mail/message.html",
        email=email,
        zone=region_time_zones([email]).get(email.region_id),
        links=links_in(email.html_body),
    )


@bp.get("/<int:email_id>/html")
def message_html(email_id: int) -> Response:
    email = _email_or_404(email_id)
    # the chart of a report is a cid: part: shown as data: here, the policy stays data: only
    response = Response(inline_cid_images(email.html_body, email.attachments), mimetype="text/html")
    response.headers["Content-Security-Policy"] = EMAIL_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/<int:email_id>/attachments/<int:attachment_id>")
def attachment(email_id: int, attachment_id: int) -> Response:
    email = _email_or_404(email_id)
    att = attachment_of(email.id, attachment_id)
    if att is None:
        abort(404)
    response = Response(att.data, mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = "attachment"
    response.headers.set("Content-Disposition", "attachment", filename=att.filename)
    return response
