"""Every link purpose, end to end through the application's wiring: the link a person got
has expired, they press "Email me a fresh link" on its page, the fresh link arrives by
email (SMTP sink) and opens the page again. (The manager's decision, the master-class
RSVP and the goal survey are walked the same way in their own tests.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

from app.auth.models import Role
from app.calls.services import generate_series, question_url, sessions_of
from app.extensions import db
from app.links.services import absolute_url, make_token
from app.masterclasses.recognition import opt_in_url
from app.reports.subscriptions import GLOBAL_PURPOSE, manage_url_for
from app.rollouts.models import RolloutSponsor
from app.rollouts.onboarding import commit_url
from app.rollouts.services import launch_rollout
from app.terms.buddies import due_buddy_signoffs
from tests.calls.helpers import learner, make_rollout
from tests.factories import EnrollmentFactory, PersonFactory, RolloutFactory, region, staff
from tests.links.journey import ask_for_fresh_link, fresh_link_path
from tests.masterclasses.helpers import completer
from tests.progress.helpers import make_course

ISSUED = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def _path(url: str) -> str:
    return url.removeprefix("http://summit.test")


def _fresh_link_works(
    client: Any, run_jobs: Any, smtp_sink: Any, path: str, *, to: str, later: datetime
) -> str:
    """Past the link's age: ask for a fresh one; exactly one email reaches ``to`` and its
    link opens the page. Returns the expired page."""
    with time_machine.travel(later, tick=False):
        smtp_sink.clear()
        expired, _answer = ask_for_fresh_link(client, path)
        run_jobs()
        [mail] = smtp_sink.to(to)
        fresh = fresh_link_path(mail)
        assert fresh != path and fresh.split("/")[:-1] == path.split("/")[:-1]
        page = client.get(fresh)
        assert page.status_code == 200, fresh
    return expired


def test_the_learners_commit_link(client, run_jobs, smtp_sink) -> None:
    with time_machine.travel(ISSUED, tick=False):
        rollout = RolloutFactory()
        enrollment = EnrollmentFactory(
            rollout=rollout, person=PersonFactory(email="lena@example.com", locale="de_DE")
        )
        launch_rollout(region=rollout.region, rollout=rollout, actor=None, channel="cli")
        db.session.commit()
        run_jobs()  # the invitations, then their delivery
        run_jobs()
        path = _path(commit_url(enrollment))
    expired = _fresh_link_works(
        client, run_jobs, smtp_sink, path, to="lena@example.com", later=ISSUED + timedelta(days=22)
    )
    assert "Dieser Link ist abgelaufen" in expired
    assert "Antworten Sie" not in expired  # nobody is told to reply to an email


def test_the_buddys_sign_off_link(client, run_jobs, smtp_sink) -> None:
    after_term = datetime(2026, 10, 6, 7, tzinfo=UTC)
    with time_machine.travel(after_term, tick=False):
        course = make_course()
        due_buddy_signoffs(region=course.rollout.region, now=after_term)
        db.session.commit()
        run_jobs()
        [request] = smtp_sink.to("ada.lovelace@example.com")
        path = fresh_link_path(request)
    assert path.startswith("/buddy/term/")
    _fresh_link_works(
        client,
        run_jobs,
        smtp_sink,
        path,
        to="ada.lovelace@example.com",
        later=after_term + timedelta(days=22),
    )


def test_the_call_question_link(client, run_jobs, smtp_sink) -> None:
    with time_machine.travel(ISSUED, tick=False):
        rollout = make_rollout("fr")
        anna = learner(rollout, email="anna@example.com")
        generate_series(region=rollout.region, rollout=rollout, notify=False)
        later = ISSUED + timedelta(days=22)
        session = next(s for s in sessions_of(rollout.id) if s.starts_at > later)
        path = _path(question_url(session, anna.person_id))
        db.session.commit()
    expired = _fresh_link_works(
        client, run_jobs, smtp_sink, path, to="anna@example.com", later=later
    )
    assert "Ce lien a expiré" in expired  # a learner in France


def test_the_leaderboard_opt_in_link(client, run_jobs, smtp_sink) -> None:
    with time_machine.travel(ISSUED, tick=False):
        enrollment = completer(person=PersonFactory(email="zoe@example.com"))
        path = _path(opt_in_url(enrollment))
        db.session.commit()
    _fresh_link_works(
        client, run_jobs, smtp_sink, path, to="zoe@example.com", later=ISSUED + timedelta(days=366)
    )


def test_a_sponsors_subscription_link(client, run_jobs, smtp_sink) -> None:
    with time_machine.travel(ISSUED, tick=False):
        rollout = RolloutFactory(region_id=region("de").id)
        sponsor = RolloutSponsor(
            region_id=rollout.region_id,
            rollout_id=rollout.id,
            name="Dora Sponsor",
            email="dora@example.com",
        )
        db.session.add(sponsor)
        db.session.flush()
        path = _path(manage_url_for(sponsor))
        db.session.commit()
    expired = _fresh_link_works(
        client, run_jobs, smtp_sink, path, to="dora@example.com", later=ISSUED + timedelta(days=401)
    )
    assert "Dieser Link ist abgelaufen" in expired  # the region's language


def test_a_global_sponsors_subscription_link(client, run_jobs, smtp_sink) -> None:
    with time_machine.travel(ISSUED, tick=False):
        user = staff(Role.SPONSOR, None, email="gina@example.com", name="Gina Global")
        token = make_token(purpose=GLOBAL_PURPOSE, person_id=user.id, object_id=0)
        path = _path(absolute_url("reports_public.subscription", token=token))
        db.session.commit()
    _fresh_link_works(
        client, run_jobs, smtp_sink, path, to="gina@example.com", later=ISSUED + timedelta(days=401)
    )
