"""Microsoft Graph against the fake: paging, throttling, sendMail, Teams meetings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
from flask import current_app

from app.extensions import db
from app.mail.delivery import build_message
from app.mail.graph import GraphTransport
from app.mail.models import OutboundAttachment, OutboundEmail
from app.mail.transports import PermanentMailError, TransientMailError
from app.microsoft.graph import GraphClient, GraphThrottled, create_online_meeting, teams_configured


def _settings() -> Any:
    return current_app.extensions["summit.settings"]


def _users(n: int) -> list[dict[str, Any]]:
    return [{"id": f"oid-{i}", "displayName": f"User {i}"} for i in range(n)]


def test_pages_are_followed_to_the_end(fake_entra: Any) -> None:
    fake_entra.directory = _users(5)
    client = GraphClient(_settings())
    try:
        pages = list(client.iter_pages("/users", {"$select": "id,displayName", "$top": "2"}))
    finally:
        client.close()
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [u["id"] for p in pages for u in p] == [f"oid-{i}" for i in range(5)]
    assert fake_entra.graph_calls == ["GET /v1.0/users"] * 3


def test_throttling_waits_for_retry_after_then_succeeds(fake_entra: Any) -> None:
    fake_entra.directory = _users(1)
    fake_entra.throttle = 2
    waits: list[float] = []
    client = GraphClient(_settings(), sleep=waits.append)
    try:
        pages = list(client.iter_pages("/users"))
    finally:
        client.close()
    assert waits == [2.0, 2.0]
    assert len(pages[0]) == 1


def test_throttling_beyond_the_budget_gives_up_with_retry_after(fake_entra: Any) -> None:
    fake_entra.throttle = 5
    fake_entra.retry_after = "30"
    client = GraphClient(_settings(), max_wait=10, sleep=lambda s: None)
    try:
        with pytest.raises(GraphThrottled) as caught:
            client.get_json("/users")
    finally:
        client.close()
    assert caught.value.status == 429
    assert caught.value.retry_after == 30.0


def _outbox_row() -> OutboundEmail:
    email = OutboundEmail(
        idempotency_key="approvals/request:42:2026-W37",
        kind="approvals/request",
        to_address="manager@contoso.example",
        to_name="Mia Manager",
        subject="Please approve 2 hours of study time for Lena",
        text_body="Lena asks for 2 hours a week.",
        html_body="<p>Lena asks for <strong>2 hours</strong> a week.</p>",
        message_id="<a1b2c3@summit>",
        headers={"List-Unsubscribe": "<https://summit.test/u/abc>"},
    )
    email.attachments.append(
        OutboundAttachment(filename="call.ics", content_type="text/calendar", data=b"BEGIN:VCAL")
    )
    db.session.add(email)
    db.session.commit()
    return email


def test_graph_transport_sends_the_outbox_message_as_mime(fake_entra: Any) -> None:
    email = _outbox_row()
    transport = GraphTransport(_settings())
    transport.open()
    try:
        transport.send(build_message(email, _settings().mail_default_sender))
    finally:
        transport.close()
    [sent] = fake_entra.sent_mail
    assert sent["mailbox"] == "summit@contoso.example"
    message = message_from_bytes(sent["mime"], policy=policy.default)
    assert message["Message-ID"] == "<a1b2c3@summit>"
    assert message["To"] == "Mia Manager <manager@contoso.example>"
    assert message["Subject"] == email.subject
    assert message["List-Unsubscribe"] == "<https://summit.test/u/abc>"
    assert message.get_body(("html",)).get_content().strip().startswith("<p>Lena")
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "call.ics"


@pytest.mark.parametrize(
    ("status", "error", "retry_after"),
    [
        (429, TransientMailError, 2.0),
        (503, TransientMailError, 2.0),
        (500, TransientMailError, None),
        (400, PermanentMailError, None),
        (403, PermanentMailError, None),
    ],
)
def test_graph_transport_failures_are_classified(
    fake_entra: Any, status: int, error: type[Exception], retry_after: float | None
) -> None:
    email = _outbox_row()
    fake_entra.mail_failures = [status]
    transport = GraphTransport(_settings())
    try:
        with pytest.raises(error) as caught:
            transport.send(build_message(email, _settings().mail_default_sender))
    finally:
        transport.close()
    if error is TransientMailError:
        assert caught.value.retry_after == retry_after
    assert fake_entra.sent_mail == []


def test_graph_transport_renews_an_expired_token(fake_entra: Any) -> None:
    email = _outbox_row()
    transport = GraphTransport(_settings())
    transport.open()
    transport._client._token = "expired-token"  # what a token looks like an hour later
    try:
        transport.send(build_message(email, _settings().mail_default_sender))
    finally:
        transport.close()
    assert len(fake_entra.sent_mail) == 1


def test_teams_meeting_link(fake_entra: Any) -> None:
    start = datetime(2026, 9, 10, 14, 0, tzinfo=UTC)
    url = create_online_meeting(
        settings=_settings(),
        subject="Weekly expert call",
        start=start,
        end=start + timedelta(minutes=45),
    )
    assert url == "https://teams.example/l/meetup-join/1"
    [meeting] = fake_entra.meetings
    assert meeting["organizer"] == "organizer@contoso.example"
    assert meeting["startDateTime"] == "2026-09-10T14:00:00+00:00"


def test_no_teams_organizer_means_no_meeting(app: Any) -> None:
    settings = _settings()
    assert not teams_configured(settings)
    start = datetime(2026, 9, 10, 14, 0, tzinfo=UTC)
    assert create_online_meeting(settings=settings, subject="x", start=start, end=start) is None


def test_a_next_link_outside_graph_is_not_followed(fake_entra: Any) -> None:
    from app.microsoft.graph import GraphError

    client = GraphClient(_settings())
    try:
        with pytest.raises(GraphError, match="outside Graph"):
            client.get_json("https://attacker.example/v1.0/users?$skiptoken=1")
    finally:
        client.close()
