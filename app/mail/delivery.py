"""Delivering the outbox (first cut: the mail backbone replaces this with batching,
leases, retries and the rate limit)."""

from __future__ import annotations

import logging
import smtplib
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app
from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.mail.models import EmailStatus, OutboundEmail

log = logging.getLogger(__name__)


def build_message(email: OutboundEmail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = Address(display_name=email.to_name, addr_spec=email.to_address)
    msg["Subject"] = email.subject
    msg["Message-ID"] = email.message_id
    msg["Date"] = formatdate(localtime=False)
    for name, value in (email.headers or {}).items():
        msg[name] = value
    msg.set_content(email.text_body)
    msg.add_alternative(email.html_body, subtype="html")
    for att in email.attachments:
        maintype, _, subtype = att.content_type.partition("/")
        msg.add_attachment(att.data, maintype=maintype, subtype=subtype, filename=att.filename)
    return msg


def deliver_pending(limit: int = 500) -> int:
    """Send up to ``limit`` pending emails; returns how many were sent."""
    settings = current_app.extensions["summit.settings"]
    rows = db.session.scalars(
        select(OutboundEmail)
        .where(OutboundEmail.status == EmailStatus.PENDING)
        .order_by(OutboundEmail.id)
        .limit(limit)
    ).all()
    if not rows:
        return 0
    sent = 0
    smtp = None
    try:
        for email in rows:
            if settings.mail_transport == "smtp":
                if smtp is None:
                    smtp = smtplib.SMTP(settings.mail_server, settings.mail_port, timeout=30)
                smtp.send_message(build_message(email, settings.mail_default_sender))
            email.status = EmailStatus.SENT
            email.sent_at = utcnow()
            email.attempts += 1
            sent += 1
    finally:
        if smtp is not None:
            smtp.quit()
    db.session.flush()
    log.info("delivered %s emails", sent)
    return sent
