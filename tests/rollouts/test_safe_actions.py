"""Launch, close and reopen each ask first, say what they will do and to whom, take a
reason, answer a second click with nothing, and give another region 404 (issue 24)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import g
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.mail.models import OutboundEmail
from app.rollouts.models import EnrollmentState, RolloutStatus
from app.rollouts.safety import close_rollout, invitation_audience, reopen_rollout
from app.rollouts.services import RolloutError
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region, staff

SENT = datetime(2026, 9, 1, 8, tzinfo=UTC)


def _token(client, path: str) -> str:  # type: ignore[no-untyped-def]
    g.pop("csrf_token", None)
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _emails() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(OutboundEmail)) or 0


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _draft(code: str = "de", slug: str = "sef-de"):  # type: ignore[no-untyped-def]
    """A draft ready to launch: its host chosen, learners in German (2) and French (1)."""
    expert = staff(Role.EXPERT, code)
    rollout = RolloutFactory(slug=slug, region=region(code), expert_id=expert.id)
    for locale in ("de_DE", None, "fr_FR"):  # None: the region's language (German)
        EnrollmentFactory(rollout=rollout, person=PersonFactory(locale=locale))
    db.session.commit()
    return rollout


def test_the_launch_says_whom_it_emails_in_which_languages_and_waits_for_the_post(
    client, login_as, run_jobs, smtp_sink
) -> None:  # type: ignore[no-untyped-def]
    rollout = _draft()
    assert invitation_audience(rollout).by_language == [("de", 2), ("fr", 1)]
    login_as(staff(Role.LOCAL_LEAD, "de"))
    overview = client.get("/r/de/rollouts/sef-de").get_data(as_text=True)
    assert 'href="/r/de/rollouts/sef-de/launch"' in overview  # the first click is a link
    page = client.get("/r/de/rollouts/sef-de/launch")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Emails 3 learners in German and French" in html
    run_jobs()
    assert _emails() == 0 and rollout.status is RolloutStatus.DRAFT
    token = _token(client, "/r/de/rollouts/sef-de/launch")
    done = client.post(
        "/r/de/rollouts/sef-de/launch", data={"csrf_token": token, "reason": "Kick-off"}
    )
    assert done.status_code == 303
    again = client.post("/r/de/rollouts/sef-de/launch", data={"csrf_token": token})
    assert again.status_code == 303
    run_jobs()
    run_jobs()
    assert _emails() == 3 and len(smtp_sink.messages) == 3
    [event] = _audit("rollout.launched")
    assert event.data == {"reason": "Kick-off"} and event.actor_id is not None
    assert "Already done" in client.get("/r/de/rollouts/sef-de").get_data(as_text=True)


def test_closing_asks_for_a_reason_emails_nobody_and_can_be_reopened(client, login_as) -> None:  # type: ignore[no-untyped-def]
    rollout = RolloutFactory(slug="sef-de", status=RolloutStatus.LAUNCHED, launched_at=SENT)
    for _ in range(3):
        EnrollmentFactory(rollout=rollout, invited_at=SENT)
    db.session.commit()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get("/r/de/rollouts/sef-de/close").get_data(as_text=True)
    assert "3 invited learners who have not committed can no longer commit" in html
    assert "Nobody is emailed about the closing" in html
    db.session.expire_all()
    assert rollout.status is RolloutStatus.LAUNCHED
    token = _token(client, "/r/de/rollouts/sef-de/close")
    no_reason = client.post("/r/de/rollouts/sef-de/close", data={"csrf_token": token})
    assert no_reason.status_code == 400
    assert "Say why you close the rollout" in no_reason.get_data(as_text=True)
    db.session.expire_all()
    assert rollout.status is RolloutStatus.LAUNCHED
    closed = client.post(
        "/r/de/rollouts/sef-de/close", data={"csrf_token": token, "reason": "Program ended"}
    )
    assert closed.status_code == 303
    second = client.post(
        "/r/de/rollouts/sef-de/close", data={"csrf_token": token, "reason": "Program ended"}
    )
    assert second.status_code == 303
    db.session.expire_all()
    assert rollout.status is RolloutStatus.CLOSED and len(_audit("rollout.closed")) == 1
    assert _audit("rollout.closed")[0].data == {"reason": "Program ended"}
    assert _emails() == 0
    overview = client.get("/r/de/rollouts/sef-de").get_data(as_text=True)
    assert 'href="/r/de/rollouts/sef-de/reopen"' in overview
    assert "Nobody already invited is invited again" in client.get(
        "/r/de/rollouts/sef-de/reopen"
    ).get_data(as_text=True)
    token = _token(client, "/r/de/rollouts/sef-de/reopen")
    reopened = client.post(
        "/r/de/rollouts/sef-de/reopen", data={"csrf_token": token, "reason": "Closed too early"}
    )
    assert reopened.status_code == 303
    db.session.expire_all()
    assert rollout.status is RolloutStatus.LAUNCHED and rollout.closed_at is None
    [event] = _audit("rollout.reopened")
    assert event.data["reason"] == "Closed too early" and event.data["closed_at"]


def test_reopening_an_erased_rollout_is_refused() -> None:
    rollout = RolloutFactory(status=RolloutStatus.LAUNCHED, launched_at=SENT)
    assert close_rollout(region=rollout.region, rollout=rollout, actor=None, reason="Done")
    assert not close_rollout(region=rollout.region, rollout=rollout, actor=None, reason="Done")
    rollout.personal_data_erased_at = datetime.now(UTC)
    with pytest.raises(RolloutError, match="erased"):
        reopen_rollout(region=rollout.region, rollout=rollout, actor=None)
    assert rollout.status is RolloutStatus.CLOSED


def test_a_draft_cannot_be_closed() -> None:
    rollout = RolloutFactory()
    with pytest.raises(RolloutError):
        close_rollout(region=rollout.region, rollout=rollout, actor=None, reason="x")


@pytest.mark.parametrize(
    "action", ["launch", "close", "reopen", "invitation-preview/de", "buddies/pair"]
)
def test_another_regions_rollout_is_404_for_every_action(client, login_as, action) -> None:  # type: ignore[no-untyped-def]
    RolloutFactory(slug="sef-fr", region=region("fr"))
    RolloutFactory(slug="sef-de")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    token = _token(client, "/r/de/rollouts/sef-de")
    assert client.get(f"/r/de/rollouts/sef-fr/{action}").status_code == 404
    assert client.get(f"/r/fr/rollouts/sef-fr/{action}").status_code in (403, 404)
    if "/" not in action:
        post = client.post(f"/r/de/rollouts/sef-fr/{action}", data={"csrf_token": token})
        assert post.status_code == 404


def test_the_invitation_is_previewed_in_each_language_of_the_roster(client, login_as) -> None:  # type: ignore[no-untyped-def]
    _draft()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    overview = client.get("/r/de/rollouts/sef-de").get_data(as_text=True)
    assert "/r/de/rollouts/sef-de/invitation-preview/de" in overview
    assert "/r/de/rollouts/sef-de/invitation-preview/fr" in overview
    german = client.get("/r/de/rollouts/sef-de/invitation-preview/de").get_data(as_text=True)
    french = client.get("/r/de/rollouts/sef-de/invitation-preview/fr").get_data(as_text=True)
    assert "Wollen wir loslegen?" in german  # the subject as the German catalog has it
    assert "on commence ?" in french
    assert client.get("/r/de/rollouts/sef-de/invitation-preview/xx").status_code == 404
    assert _emails() == 0


def test_pairing_buddies_says_whom_it_introduces_before_it_emails(client, login_as) -> None:  # type: ignore[no-untyped-def]
    rollout = RolloutFactory(slug="sef-de", status=RolloutStatus.LAUNCHED, launched_at=SENT)
    for locale in ("de_DE", "fr_FR"):
        EnrollmentFactory(
            rollout=rollout,
            person=PersonFactory(locale=locale),
            invited_at=SENT,
            state=EnrollmentState.COMMITTED,
        )
    db.session.commit()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    overview = client.get("/r/de/rollouts/sef-de").get_data(as_text=True)
    assert 'href="/r/de/rollouts/sef-de/buddies/pair"' in overview  # a link: it asks first
    html = client.get("/r/de/rollouts/sef-de/buddies/pair").get_data(as_text=True)
    assert "Puts 2 committed learners without a buddy into buddy groups" in html
    assert "in German and French" in html
    assert _emails() == 0
    token = _token(client, "/r/de/rollouts/sef-de/buddies/pair")
    assert (
        client.post("/r/de/rollouts/sef-de/buddies/pair", data={"csrf_token": token}).status_code
        == 302
    )
    assert _emails() == 2
