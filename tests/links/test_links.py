"""Action links: refused when tampered, expired, foreign or of another purpose; the
expired page offers a fresh link; GET and HEAD change nothing; rate-limited; no referrer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.links import routes as link_routes
from app.links.services import (
    RESENDERS,
    LinkExpired,
    LinkInvalid,
    make_action_url,
    make_token,
    read_token,
    register_resender,
)
from app.mail.models import OutboundEmail
from app.mail.services import queue_email
from app.people.models import Person
from tests.factories import PersonFactory

PURPOSE = "test.fresh"
ISSUED = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def _resend(*, person_id: int, object_id: int) -> bool:
    person = db.session.get(Person, person_id)
    if person is None:
        return False
    queue_email(
        kind="mail/test",
        to_address=person.email,
        to_name=person.name,
        idempotency_key=f"{PURPOSE}:{object_id}:fresh:{datetime.now(UTC).date()}",
        context={
            "name": person.name,
            "sent_at": datetime.now(UTC),
            "url": make_action_url(
                endpoint="links.fresh_link_form",
                purpose=PURPOSE,
                person_id=person.id,
                object_id=object_id,
                link_purpose=PURPOSE,
            ),
        },
        region_id=person.region_id,
        person_id=person.id,
    )
    return True


@pytest.fixture
def resender() -> Iterator[None]:
    register_resender(PURPOSE, _resend)
    yield
    RESENDERS.pop(PURPOSE, None)


def _counts() -> tuple[int, int]:
    db.session.commit()
    return (
        db.session.scalar(select(func.count()).select_from(OutboundEmail)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )


def test_tokens_are_bound_to_purpose_person_object_and_age() -> None:
    with time_machine.travel(ISSUED, tick=False):
        token = make_token(purpose="approvals.decide", person_id=7, object_id=42)
        assert read_token(token, purpose="approvals.decide", object_id=42).person_id == 7
        with pytest.raises(LinkInvalid):  # another purpose
            read_token(token, purpose="calls.question")
        with pytest.raises(LinkInvalid):  # a token for request 42 used on request 43
            read_token(token, purpose="approvals.decide", object_id=43)
        with pytest.raises(LinkInvalid):
            read_token(token, purpose="approvals.decide", person_id=8)
        with pytest.raises(LinkInvalid):  # tampered
            read_token(
                token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB"), purpose="approvals.decide"
            )
        with pytest.raises(LinkInvalid):
            read_token("garbage", purpose="approvals.decide")
    with time_machine.travel(ISSUED + timedelta(days=22), tick=False):
        with pytest.raises(LinkExpired) as expired:
            read_token(token, purpose="approvals.decide")
        assert expired.value.claims.object_id == 42 and expired.value.token == token


def test_links_are_absolute_from_the_base_url_not_the_host_header(client) -> None:
    with client:
        client.get("/healthz", headers={"Host": "evil.example.com"})
        url = make_action_url(
            endpoint="links.fresh_link_form",
            purpose="p",
            person_id=1,
            object_id=2,
            link_purpose="p",
        )
    assert url.startswith("http://summit.test/links/fresh/p/")


def test_expired_link_offers_a_fresh_one_sent_to_the_person(
    client, resender, run_jobs, smtp_sink
) -> None:
    person = PersonFactory(email="manager@example.com", name="Maria Manager", locale="en_GB")
    db.session.commit()
    with time_machine.travel(ISSUED, tick=False):
        token = make_token(purpose=PURPOSE, person_id=person.id, object_id=5)
    path = f"/links/fresh/{PURPOSE}/{token}"
    before = _counts()
    for method in (client.get, client.head):
        response = method(path)
        assert response.status_code == 200
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert _counts() == before  # opening the page changed nothing
    page = client.get(path).get_data(as_text=True)
    assert "Send me a fresh link" in page and "manager@example.com" not in page
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(path, data={"csrf_token": csrf})
    assert response.status_code == 200
    assert "on its way" in response.get_data(as_text=True)
    client.post(path, data={"csrf_token": csrf})  # a second click sends nothing more
    run_jobs()
    assert len(smtp_sink.to("manager@example.com")) == 1
    events = db.session.scalars(select(AuditEvent)).all()
    assert [e.action for e in events] == ["link.fresh_requested"] * 2
    assert events[0].actor_type == "person" and events[0].channel == "link"


def test_post_without_csrf_is_refused(client, resender) -> None:
    person = PersonFactory()
    db.session.commit()
    token = make_token(purpose=PURPOSE, person_id=person.id, object_id=5)
    before = _counts()
    assert client.post(f"/links/fresh/{PURPOSE}/{token}").status_code == 400
    assert _counts() == before


def test_tampered_token_cannot_ask_for_a_fresh_link(client, resender, csrf_token) -> None:
    person = PersonFactory()
    db.session.commit()
    token = make_token(purpose=PURPOSE, person_id=person.id, object_id=5)
    forged = make_token(purpose="other", person_id=person.id, object_id=5)
    path = f"/links/fresh/{PURPOSE}/{forged}"
    csrf = csrf_token(path)
    before = _counts()
    response = client.post(path, data={"csrf_token": csrf})
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)
    assert _counts() == before
    assert token != forged


def test_token_endpoints_are_rate_limited(client, monkeypatch) -> None:
    monkeypatch.setattr(link_routes, "TOKEN_REQUESTS_PER_MINUTE", 5)
    codes = [client.get("/links/fresh/p/x").status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]


def test_every_token_route_refuses_a_tampered_token_on_get_and_head(app, client) -> None:
    """Whatever capability adds a ``<token>`` route: a forged token changes nothing."""
    rules = [r for r in app.url_map.iter_rules() if "token" in r.arguments and "GET" in r.methods]
    assert rules
    before = _counts()
    for rule in rules:
        values = {arg: "1" for arg in rule.arguments}
        values["token"] = "forged.token.value"
        if "link_purpose" in rule.arguments:
            values["link_purpose"] = PURPOSE
        path = rule.build(values, append_unknown=False)[1]
        for method in (client.get, client.head):
            response = method(path)
            assert response.status_code < 500, path
            assert response.headers["Referrer-Policy"] == "same-origin", path
    assert _counts() == before


def test_a_view_raising_link_errors_renders_the_friendly_pages(app, resender) -> None:
    """Capabilities just call read_token; uncaught errors become these pages."""
    from app.links.services import ActionClaims

    with app.test_request_context("/anything"):
        expired = LinkExpired(ActionClaims(purpose=PURPOSE, person_id=1, object_id=2), "tok.en")
        response = app.make_response(app.handle_user_exception(expired))
        page = response.get_data(as_text=True)
        assert response.status_code == 410
        assert "/links/fresh/test.fresh/tok.en" in page and "csrf_token" in page
        response = app.make_response(app.handle_user_exception(LinkInvalid()))
        assert response.status_code == 400 and "not valid" in response.get_data(as_text=True)
