"""Every email kind as delivered: the MIME message the outbox hands to SMTP, and the dev
mailbox's preview of it, for each email the world (``tests/emails/world.py``) queued.

The kinds are the folders of ``email_templates/`` (a new folder is a new kind, picked up
here without a list to update). The world is built once per test process, in an app whose
``SUMMIT_BASE_URL`` is https as in production; what the tests read is kept as plain data,
so each test can check it after the tables were emptied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.auth.access import SESSION_USER_KEY
from app.auth.models import Role
from app.extensions import db
from app.mail.mime import build_message
from app.mail.models import OutboundEmail
from tests.factories import staff
from tests.queued import run_queued_jobs

TEMPLATES = Path(__file__).resolve().parents[2] / "email_templates"
#: production's shape: every link Summit builds starts with this
BASE_URL = "https://summit.example.com"


def email_kinds() -> list[str]:
    """Every kind: a folder of email_templates/ with a subject, a text and an HTML body
    (``_layout`` and ``_test`` are not emails)."""
    return sorted(
        p.parent.relative_to(TEMPLATES).as_posix()
        for p in TEMPLATES.rglob("body.html")
        if not p.relative_to(TEMPLATES).as_posix().startswith("_")
        and (p.parent / "subject.txt").exists()
        and (p.parent / "body.txt").exists()
    )


@dataclass(frozen=True)
class Delivered:
    kind: str
    locale: str
    to: str
    subject: str
    #: the message as sent over SMTP
    wire: bytes
    #: what the dev mailbox's HTML frame serves, and its Content-Security-Policy
    preview: str
    preview_csp: str

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.wire, policy=policy.default)  # type: ignore[return-value]

    def part(self, content_type: str) -> Any:
        return next((p for p in self.message.walk() if p.get_content_type() == content_type), None)

    @property
    def html(self) -> str:
        return str(self.part("text/html").get_content())

    def inline_parts(self) -> dict[str, bytes]:
        """Content-ID (without the angle brackets) → the decoded bytes of that part."""
        return {
            str(p["Content-ID"]).strip("<>"): p.get_payload(decode=True)
            for p in self.message.walk()
            if p["Content-ID"]
        }


_CACHE: dict[str, list[Delivered]] = {}


def delivered_emails(
    make_app: Callable[..., Any], build: Callable[[Callable[[], int]], Any]
) -> dict[str, list[Delivered]]:
    """kind → the emails of that kind, built once per process (see the module doc)."""
    if _CACHE:
        return _CACHE
    app = make_app(base_url=BASE_URL)
    with app.app_context():
        build(lambda: run_queued_jobs(app))
        run_queued_jobs(app)
        admin = staff(Role.GLOBAL_ADMIN, None, name="Gil Admin", email="gil.admin@example.com")
        db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session[SESSION_USER_KEY] = admin.id
        sender = app.extensions["summit.settings"].mail_default_sender
        emails = db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)).all()
        for email in emails:
            response = client.get(f"/dev/mailbox/{email.id}/html")
            assert response.status_code == 200, (email.kind, response.status_code)
            _CACHE.setdefault(email.kind, []).append(
                Delivered(
                    kind=email.kind,
                    locale=email.locale or "en",
                    to=email.to_address,
                    subject=email.subject,
                    wire=build_message(email, sender).as_bytes(),
                    preview=response.get_data(as_text=True),
                    preview_csp=response.headers["Content-Security-Policy"],
                )
            )
        db.session.remove()
    return _CACHE
