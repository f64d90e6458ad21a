"""Launch, the commit page via signed link, emails through the real SMTP sink, reminders."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import time_machine
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.extensions import db
from app.mail.models import OutboundEmail
from app.rollouts.models import EnrollmentState, RolloutStatus
from app.rollouts.onboarding import commit_url, remind_uncommitted
from app.rollouts.services import launch_rollout
from app.rollouts.signals import enrollment_committed
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region, staff


def _launched(n: int = 2):  # type: ignore[no-untyped-def]
    rollout = RolloutFactory(sponsor_message="We need this.")
    manager = PersonFactory(name="Greta Boss", email="greta@example.com")
    enrollments = [
        EnrollmentFactory(rollout=rollout, person=PersonFactory(manager=manager)) for _ in range(n)
    ]
    launch_rollout(region=rollout.region, rollout=rollout, actor=None, channel="cli")
    return rollout, enrollments


def _path(url: str) -> str:
    return url.removeprefix("http://summit.test")


def test_launch_invites_every_learner_by_email(run_jobs, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    rollout, enrollments = _launched(3)
    run_jobs()  # invitations job, then the mail delivery job
    run_jobs()
    assert rollout.status is RolloutStatus.LAUNCHED
    for e in enrollments:
        [message] = smtp_sink.to(e.person.email)
        body = message.get_body(("plain",)).get_content()
        assert "Wollen wir loslegen?" in body and "We need this." in body  # German region
        assert "7. September 2026" in body  # the cohort's start as the reader writes dates
        # the call to action is a button: a table cell around the link, absolute URL
        html = message.get_body(("html",)).get_content()
        button = re.search(r'<table role="presentation".*?</table>', html, re.S)
        assert button and 'href="http://summit.test/join/' in button.group(0)
        assert "Wollen wir loslegen?" in button.group(0)
        assert e.invited_at is not None
    # launching again is refused; the invitation job twice sends nothing twice
    from app.rollouts.onboarding import send_invitations

    assert send_invitations(region=rollout.region, rollout=rollout) == 0


def test_launch_by_cli(runner) -> None:  # type: ignore[no-untyped-def]
    rollout = RolloutFactory(slug="sef-de", expert=staff(Role.EXPERT, "de"))
    EnrollmentFactory(rollout=rollout)
    db.session.commit()
    result = runner.invoke(args=["rollout", "launch", "sef-de"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert rollout.status is RolloutStatus.LAUNCHED
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "rollout.launched")
    ).one()
    assert event.channel == "cli"
    again = runner.invoke(args=["rollout", "launch", "sef-de"])
    assert again.exit_code != 0 and "launched already" in again.output


def test_the_cli_refuses_a_launch_the_checklist_refuses(runner) -> None:  # type: ignore[no-untyped-def]
    """The web's draft checklist is the CLI's too: no roster and no expert, no launch."""
    rollout = RolloutFactory(slug="sef-fr")
    db.session.commit()
    result = runner.invoke(args=["rollout", "launch", "sef-fr"])
    assert result.exit_code != 0
    assert "sef-fr was not launched" in result.output
    assert "Nobody is on the roster yet" in result.output
    assert "Choose the expert who hosts the calls." in result.output
    db.session.expire_all()
    assert rollout.status is RolloutStatus.DRAFT
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "rollout.launched")
    ).all()


def test_commit_page_get_changes_nothing_post_pledges(client, run_jobs, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    rollout, [enrollment, _] = _launched()
    run_jobs()
    run_jobs()
    path = _path(commit_url(enrollment))
    committed: list[int] = []

    def receiver(e):  # type: ignore[no-untyped-def]
        committed.append(e.id)

    enrollment_committed.connect(receiver)
    try:
        page = client.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "Wollen wir loslegen?" in html and rollout.program.title in html
        assert "Donnerstags um 16:00 Uhr (Europe/Berlin)" in html
        assert "etwa 2 Stunden pro Woche" in html
        db.session.expire_all()
        assert enrollment.state is EnrollmentState.INVITED  # a GET never changes state
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        empty = client.post(path, data={"csrf_token": token, "goal": " "})
        assert empty.status_code == 400 and "Schreiben Sie das Ziel" in empty.get_data(as_text=True)
        done = client.post(
            path,
            data={
                "csrf_token": token,
                "goal": "Ship our first event-driven service",
                "buddy": "",  # "pair me with someone"
                "study_weekday": "1",
                "study_time": "09:30",
                "study_zone": "Europe/Berlin",
            },
        )
        assert done.status_code == 302
        again = client.post(path, data={"csrf_token": token, "goal": "Something else entirely"})
        assert again.status_code == 302
    finally:
        enrollment_committed.disconnect(receiver)
    db.session.expire_all()
    assert enrollment.state is EnrollmentState.COMMITTED
    assert enrollment.goal == "Ship our first event-driven service"
    assert enrollment.requested_buddy is None
    assert (enrollment.study_weekday, enrollment.study_time.strftime("%H:%M")) == (1, "09:30")
    assert committed == [enrollment.id]  # the second click sent nothing
    shown = client.get(path).get_data(as_text=True)
    assert "Sie sind dabei" in shown and "Ship our first event-driven service" in shown
    run_jobs()
    confirmation = [
        m for m in smtp_sink.to(enrollment.person.email) if "Sie sind dabei" in m["Subject"]
    ]
    assert len(confirmation) == 1
    assert (
        "Ship our first event-driven service" in confirmation[0].get_body(("plain",)).get_content()
    )


def test_commit_link_tampered_expired_or_other_region(client) -> None:  # type: ignore[no-untyped-def]
    _, [enrollment, _] = _launched()
    db.session.commit()
    path = _path(commit_url(enrollment))
    assert client.get(path + "x").status_code == 404
    with time_machine.travel(datetime.now(UTC).replace(year=datetime.now(UTC).year + 1)):
        expired = client.get(path)
    # the learner lives in the German region: the page speaks German
    assert expired.status_code == 410 and "Dieser Link ist abgelaufen" in expired.get_data(
        as_text=True
    )


def test_reminders_follow_business_days_and_holidays(run_jobs, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    de = region("de")  # cadence 3 business days, Bavaria
    _, [e1, e2] = _launched()
    # invited on Wednesday 23 December 2026; 24th is not a holiday, 25/26 are, then a weekend
    invited = datetime(2026, 12, 23, 9, 0, tzinfo=UTC)
    e1.invited_at = e2.invited_at = invited
    e2.transition(EnrollmentState.COMMITTED)
    e2.goal = "x" * 10
    db.session.flush()
    # Monday 28th: business days after the 23rd are 24, 28 → 2 < 3
    assert remind_uncommitted(region=de, now=datetime(2026, 12, 28, 8, 0, tzinfo=UTC)) == 0
    # Saturday: never
    assert remind_uncommitted(region=de, now=datetime(2027, 1, 2, 8, 0, tzinfo=UTC)) == 0
    # Tuesday 29th: 24, 28, 29 → 3
    assert remind_uncommitted(region=de, now=datetime(2026, 12, 29, 8, 0, tzinfo=UTC)) == 1
    assert remind_uncommitted(region=de, now=datetime(2026, 12, 29, 15, 0, tzinfo=UTC)) == 0
    assert e1.commit_reminders_sent == 1
    run_jobs()
    run_jobs()
    reminders = [m for m in smtp_sink.to(e1.person.email) if m["Subject"].startswith("Erinnerung")]
    assert len(reminders) == 1
    assert not [m for m in smtp_sink.to(e2.person.email) if m["Subject"].startswith("Erinnerung")]
    # Wednesday 6 January is Epiphany in Bavaria: 30, 31, 4, 5 → due on the 4th, not the 6th
    assert remind_uncommitted(region=de, now=datetime(2027, 1, 6, 8, 0, tzinfo=UTC)) == 0
    assert remind_uncommitted(region=de, now=datetime(2027, 1, 4, 8, 0, tzinfo=UTC)) == 1
    # the region's limit (escalate_after = 2) stops further reminders
    assert remind_uncommitted(region=de, now=datetime(2027, 1, 12, 8, 0, tzinfo=UTC)) == 0
    kinds = db.session.scalars(
        select(OutboundEmail.kind).where(OutboundEmail.kind == "rollouts/reminder")
    ).all()
    assert len(kinds) == 2


def test_only_local_lead_or_admin_may_launch(client, login_as) -> None:  # type: ignore[no-untyped-def]
    rollout = RolloutFactory(slug="sef-de")
    expert = staff(Role.EXPERT, "de")
    login_as(expert)
    token = _csrf(client, "/r/de/rollouts/sef-de")
    assert client.get("/r/de/rollouts/sef-de/launch").status_code == 403
    assert (
        client.post("/r/de/rollouts/sef-de/launch", data={"csrf_token": token}).status_code == 403
    )
    lead = staff(Role.LOCAL_LEAD, "de")
    login_as(lead)
    token = _csrf(client, "/r/de/rollouts/sef-de")
    # an empty draft without a host: launch waits and says for what
    refused = client.post("/r/de/rollouts/sef-de/launch", data={"csrf_token": token})
    assert refused.status_code == 303
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Nobody is on the roster yet" in page and "Choose the expert" in page
    db.session.expire_all()
    assert rollout.status is RolloutStatus.DRAFT
    rollout.expert_id = expert.id
    EnrollmentFactory(rollout=rollout)
    db.session.commit()
    response = client.post("/r/de/rollouts/sef-de/launch", data={"csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    assert rollout.status is RolloutStatus.LAUNCHED
    fr_lead = staff(Role.LOCAL_LEAD, "fr")
    login_as(fr_lead)
    assert client.get("/r/de/rollouts/sef-de").status_code == 404
    assert client.get("/r/de/rollouts/sef-de/launch").status_code == 404


def _csrf(client, path: str) -> str:  # type: ignore[no-untyped-def]
    from flask import g

    g.pop("csrf_token", None)  # the test's app context outlives a re-login
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_roster_import_into_a_launched_rollout_invites_newcomers(run_jobs, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from app.roster.importing import import_roster_file

    rollout, _ = _launched(1)
    run_jobs()
    fixture = Path(__file__).parents[1] / "roster" / "fixtures" / "utf8_bom_comma_crlf.csv"
    import_roster_file(fixture, region=rollout.region, rollout=rollout)
    run_jobs()
    run_jobs()
    [invite] = smtp_sink.to("anna.mueller@example.com")
    assert "Wollen wir loslegen?" in invite.get_body(("plain",)).get_content()
    assert smtp_sink.to("greta.boss@example.com") == []  # a manager row, not a learner


def test_reminder_job_runs_per_region(run_jobs) -> None:  # type: ignore[no-untyped-def]
    from jobs.rollouts import remind_uncommitted as job

    _launched(1)
    db.session.commit()
    job(region("de").id)  # invited just now: nothing due yet
    assert (
        db.session.scalars(
            select(OutboundEmail).where(OutboundEmail.kind == "rollouts/reminder")
        ).all()
        == []
    )


def test_onboarding_speaks_the_learners_language(client, run_jobs, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    """The learner's locale first, then the region's (also when Summit does not write the
    learner's), then English."""
    rollout = RolloutFactory(sponsor_message="We need this.")
    manager = PersonFactory(name="Greta Boss", email="greta@example.com")
    french = EnrollmentFactory(rollout=rollout, person=PersonFactory(manager=manager, locale="fr"))
    english = EnrollmentFactory(
        rollout=rollout, person=PersonFactory(manager=manager, locale="en_GB")
    )
    swedish = EnrollmentFactory(  # a language Summit has no catalog for yet
        rollout=rollout, person=PersonFactory(manager=manager, locale="sv_SE")
    )
    launch_rollout(region=rollout.region, rollout=rollout, actor=None, channel="cli")
    run_jobs()
    run_jobs()
    [fr_mail] = smtp_sink.to(french.person.email)
    assert "on commence ?" in fr_mail["Subject"]
    assert "le jeudi à 16:00 (Europe/Berlin)" in fr_mail.get_body(("plain",)).get_content()
    fr_page = client.get(_path(commit_url(french))).get_data(as_text=True)
    assert '<html lang="fr' in fr_page and "Je m'engage" in fr_page
    [mail] = smtp_sink.to(english.person.email)
    assert "shall we get started?" in mail["Subject"]
    page = client.get(_path(commit_url(english))).get_data(as_text=True)
    assert '<html lang="en' in page and "I commit" in page
    assert "Thursdays at 16:00 (Europe/Berlin)" in page
    # no Swedish catalog: the region's language, in the email and on the page alike
    [mail] = smtp_sink.to(swedish.person.email)
    assert "Wollen wir loslegen?" in mail["Subject"]
    page = client.get(_path(commit_url(swedish))).get_data(as_text=True)
    assert '<html lang="de' in page and "Ich bin dabei" in page
    assert "Donnerstags um 16:00 Uhr (Europe/Berlin)" in page


def test_a_broken_commit_link_is_explained_in_the_learners_language(client) -> None:  # type: ignore[no-untyped-def]
    """Expired: the signed token still names the learner, so their language; a link that
    is not genuine names nobody, so the browser's best of en/de/fr, else English."""
    rollout = RolloutFactory()
    french = EnrollmentFactory(rollout=rollout, person=PersonFactory(locale="fr"))
    swedish = EnrollmentFactory(rollout=rollout, person=PersonFactory(locale="sv_SE"))
    launch_rollout(region=rollout.region, rollout=rollout, actor=None, channel="cli")
    db.session.commit()
    fr_path, es_path = _path(commit_url(french)), _path(commit_url(swedish))
    later = datetime.now(UTC).replace(year=datetime.now(UTC).year + 1)
    with time_machine.travel(later):
        fr_page = client.get(fr_path)
        es_page = client.get(es_path)
    assert fr_page.status_code == 410
    assert '<html lang="fr' in fr_page.get_data(as_text=True)
    assert "Ce lien a expiré" in fr_page.get_data(as_text=True)
    # no Swedish catalog: the region's language, as the learner's emails
    assert "Dieser Link ist abgelaufen" in es_page.get_data(as_text=True)

    tampered = fr_path + "x"
    german = client.get(tampered, headers={"Accept-Language": "de-CH,de;q=0.9,en;q=0.5"})
    assert german.status_code == 404
    assert '<html lang="de' in german.get_data(as_text=True)
    # the one "not valid" page of every link purpose
    assert "Dieser Link ist ungültig" in german.get_data(as_text=True)
    nothing = client.get(tampered, headers={"Accept-Language": "sv"})
    assert "This link is not valid" in nothing.get_data(as_text=True)
