"""Action links: refused when tampered, expired, foreign or of another purpose; the
expired page offers a fresh link; GET and HEAD change nothing; rate-limited; no referrer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import current_app
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.extensions import db
from app.freshlinks import routes as link_routes
from app.goals.services import SURVEY_PURPOSE
from app.links.services import (
    LinkExpired,
    LinkInvalid,
    make_action_url,
    make_token,
    read_token,
    token_maker,
)
from app.mail.models import OutboundEmail
from app.rollouts.models import EnrollmentState
from tests.factories import EnrollmentFactory, PersonFactory
from tests.links.journey import fresh_link_path

#: a real purpose, wired by the factory: the goal survey (links work 90 days)
PURPOSE = SURVEY_PURPOSE
ISSUED = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
LATER = ISSUED + timedelta(days=100)


def _learner(**person: object) -> object:
    enrollment = EnrollmentFactory(person=PersonFactory(**person), state=EnrollmentState.ACTIVE)
    db.session.commit()
    return enrollment


def _old_token(enrollment: object) -> str:
    with time_machine.travel(ISSUED, tick=False):
        return make_token(
            purpose=PURPOSE,
            person_id=enrollment.person_id,  # type: ignore[attr-defined]
            object_id=enrollment.id,  # type: ignore[attr-defined]
        )


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


def test_bulk_tokens_are_the_tokens_make_token_signs() -> None:
    make = token_maker("approvals.decide")
    # itsdangerous's own format: its serializer reads every token, and writes the same one
    # wherever its zlib attempt does not shorten the payload (Summit never compresses)
    serializer = URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt="summit.link.approvals.decide"
    )
    pairs = ((7, 42), (1, 1), (123456789, 2**40), (0, 0), (111111111111, 111111111111))
    with time_machine.travel(ISSUED, tick=False):
        for person_id, object_id in pairs:
            token = make(person_id, object_id)
            assert token == make_token(
                purpose="approvals.decide", person_id=person_id, object_id=object_id
            )
            assert serializer.loads(token) == {"p": person_id, "o": object_id}
            theirs = serializer.dumps({"p": person_id, "o": object_id})
            assert token == theirs or theirs.startswith(".")  # "." marks a compressed one
            claims = read_token(token, purpose="approvals.decide", object_id=object_id)
            assert claims.person_id == person_id
        issued = make(7, 42)
        other = token_maker("calls.question")(7, 42)
        with pytest.raises(LinkInvalid):
            read_token(other, purpose="approvals.decide")
    later = time_machine.travel(ISSUED + timedelta(days=22), tick=False)
    with later, pytest.raises(LinkExpired):  # the token carries the time it was made
        read_token(issued, purpose="approvals.decide")


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


def test_expired_link_offers_a_fresh_one_sent_to_the_person(client, run_jobs, smtp_sink) -> None:
    enrollment = _learner(email="learner@example.com", name="Lea Learner", locale="en_GB")
    path = f"/links/fresh/{PURPOSE}/{_old_token(enrollment)}"
    with time_machine.travel(LATER, tick=False):
        before = _counts()
        for method in (client.get, client.head):
            response = method(path)
            assert response.status_code == 200
            assert response.headers["Referrer-Policy"] == "same-origin"
        assert _counts() == before  # opening the page changed nothing
        page = client.get(path).get_data(as_text=True)
        assert "Email me a fresh link" in page and "learner@example.com" not in page
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        response = client.post(path, data={"csrf_token": csrf})
        assert response.status_code == 200
        answer = response.get_data(as_text=True)
        assert "on its way" in answer
        again = client.post(path, data={"csrf_token": csrf})  # a second click: one a day
        assert again.get_data(as_text=True) == answer
        run_jobs()
        [mail] = smtp_sink.to("learner@example.com")
        fresh = fresh_link_path(mail)
        assert client.get(fresh).status_code == 200  # the new link opens the survey
    events = db.session.scalars(select(AuditEvent)).all()
    assert [e.action for e in events] == ["link.fresh_sent"]
    assert events[0].channel == "link" and events[0].object_type == PURPOSE


def test_nothing_to_send_answers_the_same(client) -> None:
    """A learner who left the program: no email, and the page does not tell."""
    gone = _learner(email="gone@example.com")
    present = _learner(email="here@example.com")
    gone.state = EnrollmentState.WITHDRAWN  # type: ignore[attr-defined]
    db.session.commit()
    answers = []
    with time_machine.travel(LATER, tick=False):
        for enrollment in (gone, present):
            path = f"/links/fresh/{PURPOSE}/{_old_token(enrollment)}"
            page = client.get(path).get_data(as_text=True)
            csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
            answers.append(client.post(path, data={"csrf_token": csrf}).get_data(as_text=True))
    assert answers[0] == answers[1]
    sent = db.session.scalars(select(OutboundEmail.to_address)).all()
    assert sent == ["here@example.com"]


def test_post_without_csrf_is_refused(client) -> None:
    token = _old_token(_learner())
    before = _counts()
    assert client.post(f"/links/fresh/{PURPOSE}/{token}").status_code == 400
    assert _counts() == before


def test_tampered_token_cannot_ask_for_a_fresh_link(client, csrf_token) -> None:
    enrollment = _learner()
    token = _old_token(enrollment)
    forged = make_token(purpose="other", person_id=enrollment.person_id, object_id=enrollment.id)
    csrf = csrf_token(f"/links/fresh/{PURPOSE}/{token}")
    before = _counts()
    response = client.post(f"/links/fresh/{PURPOSE}/{forged}", data={"csrf_token": csrf})
    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True)
    assert _counts() == before


def test_a_link_too_old_even_to_refresh_offers_no_button(client) -> None:
    path = f"/links/fresh/{PURPOSE}/{_old_token(_learner(locale='en_GB'))}"
    with time_machine.travel(ISSUED + timedelta(days=90 + 181), tick=False):
        page = client.get(path).get_data(as_text=True)
    assert "/links/fresh/" not in page and "local program lead" in page


def test_the_factory_registers_every_purpose_the_application_signs(app) -> None:
    """Each purpose constant a capability signs links with can send a fresh link."""
    import re
    from pathlib import Path

    root = Path(app.root_path)
    signed = set()
    for source in root.rglob("*.py"):
        signed |= set(re.findall(r'^[A-Z_]*PURPOSE = "([^"]+)"', source.read_text(), re.M))
    assert signed  # the scan found the constants
    assert signed == set(app.extensions["summit.fresh_links"].names())


def test_token_endpoints_are_rate_limited(client) -> None:
    limit = link_routes.TOKEN_REQUESTS_PER_MINUTE
    with time_machine.travel(datetime.now(UTC), tick=False):  # one rate-limit window
        codes = [client.get("/links/fresh/p/x").status_code for _ in range(limit + 2)]
    assert codes[:limit] == [200] * limit and codes[limit:] == [429, 429]


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


def test_a_view_raising_link_errors_renders_the_friendly_pages(app) -> None:
    """Capabilities just call read_token; uncaught errors become these pages."""
    from app.links.services import ActionClaims

    enrollment = _learner()
    token = _old_token(enrollment)
    with app.test_request_context("/anything"):
        claims = ActionClaims(
            purpose=PURPOSE, person_id=enrollment.person_id, object_id=enrollment.id
        )
        response = app.make_response(app.handle_user_exception(LinkExpired(claims, token)))
        page = response.get_data(as_text=True)
        assert response.status_code == 410
        assert f"/links/fresh/{PURPOSE}/{token}" in page and "csrf_token" in page
        response = app.make_response(app.handle_user_exception(LinkInvalid()))
        assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)
