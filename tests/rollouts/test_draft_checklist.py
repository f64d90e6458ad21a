"""A draft's page guides to launch with real empty states; dates are checked against each
other (issue 24)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from flask import g

from app.auth.models import Role
from app.extensions import db
from app.programs.models import Term
from app.rollouts.models import EnrollmentState, RolloutStatus
from tests.factories import (
    EnrollmentFactory,
    PersonFactory,
    ProgramFactory,
    RolloutFactory,
    staff,
)


def _token(client, path: str) -> str:  # type: ignore[no-untyped-def]
    g.pop("csrf_token", None)
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _steps(html: str) -> dict[str, str]:
    """Each checklist step's state, by key: done, required or recommended."""
    found = re.findall(
        r'data-step="(\w+)">\s*<strong>[^<]*</strong>\s*<span class="badge">([^<]+)</span>', html
    )
    return dict(found)


def test_an_empty_draft_shows_its_way_to_launch_and_no_noise(client, login_as) -> None:  # type: ignore[no-untyped-def]
    RolloutFactory(slug="sef-de")
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get("/r/de/rollouts/sef-de").get_data(as_text=True)
    assert _steps(html) == {
        "program": "done",
        "roster": "required",
        "managers": "recommended",
        "call": "required",
        "sponsor": "recommended",
        "preview": "recommended",
    }
    assert "Launch waits for 2 required steps" in html
    assert 'href="/r/de/rollouts/sef-de/launch"' not in html
    for noise in (
        "Funnel",
        "Completion, week by week",
        "Pair buddies now",
        "has a buddy",
        "No progress data yet",  # a draft has no progress to be old
        "Review free riders",  # nor a term to review
        "/terms/1/outcome",
    ):
        assert noise not in html
    assert 'href="/r/de/rollouts/sef-de/roster"' in html


def test_after_the_roster_import_learners_are_not_yet_invited(client, login_as) -> None:  # type: ignore[no-untyped-def]
    expert = staff(Role.EXPERT, "de")
    rollout = RolloutFactory(slug="sef-de", expert_id=expert.id, sponsor_message="It matters.")
    manager = PersonFactory(name="Greta Boss")
    for _ in range(7):
        EnrollmentFactory(rollout=rollout, person=PersonFactory(manager=manager))
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get("/r/de/rollouts/sef-de").get_data(as_text=True)
    assert "7 learners on the roster, not yet invited" in html
    assert (
        "100"
        not in re.sub(r"<[^>]+>", " ", html).split("From draft to launch")[1].split("People")[0]
    )
    steps = _steps(html)
    assert steps["roster"] == steps["managers"] == steps["call"] == "done"
    assert 'href="/r/de/rollouts/sef-de/launch"' in html
    # launched, the invitations not queued yet: still nobody counted as invited
    rollout.status = RolloutStatus.LAUNCHED
    rollout.launched_at = datetime.now(UTC)
    db.session.commit()
    html = client.get("/r/de/rollouts/sef-de").get_data(as_text=True)
    assert "7 learners on the roster are not yet invited" in html
    assert "Learners who reached each stage" not in html
    listing = client.get("/r/de/rollouts/sef-de/learners?stage=invited").get_data(as_text=True)
    assert "0 learners" in listing


def test_nobody_committed_means_no_buddy_pairing_and_no_trend_before_the_launch(
    client, login_as
) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    rollout = RolloutFactory(slug="sef-de", status=RolloutStatus.LAUNCHED, launched_at=now)
    EnrollmentFactory(rollout=rollout, invited_at=now)
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get("/r/de/rollouts/sef-de").get_data(as_text=True)
    assert "Nobody has committed yet" in html
    assert "Pair buddies now" not in html and "Every committed learner has a buddy" not in html
    assert "The trend starts at the end of the first week after the launch" in html
    EnrollmentFactory(rollout=rollout, invited_at=now, state=EnrollmentState.COMMITTED)
    db.session.commit()
    html = client.get("/r/de/rollouts/sef-de").get_data(as_text=True)
    assert "Pair buddies now" in html and "1 committed learner has no buddy yet" in html


def test_a_cohort_start_before_term_one_is_refused_with_a_clear_message(client, login_as) -> None:  # type: ignore[no-untyped-def]
    program = ProgramFactory()  # term 1 from 7 September 2026, for four weeks
    login_as(staff(Role.LOCAL_LEAD, "de"))
    form = {
        "csrf_token": _token(client, "/r/de/rollouts/new"),
        "slug": "sef-de-2026",
        "program_id": str(program.id),
        "cohort_start": "2026-08-03",
        "call_weekday": "3",
        "call_time": "16:00",
        "call_duration_minutes": "45",
    }
    bad = client.post("/r/de/rollouts/new", data=form)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "before term 1 begins (Sep 7, 2026)" in html
    assert "Start the cohort on or after Sep 7, 2026" in html
    form["cohort_start"] = "2026-12-01"
    assert "after term 1 ends" in client.post("/r/de/rollouts/new", data=form).get_data(
        as_text=True
    )
    form["cohort_start"] = "2026-09-07"
    assert client.post("/r/de/rollouts/new", data=form).status_code == 302


def test_overlapping_terms_hold_the_launch(client, login_as) -> None:  # type: ignore[no-untyped-def]
    rollout = RolloutFactory(slug="sef-de", expert_id=staff(Role.EXPERT, "de").id)
    EnrollmentFactory(rollout=rollout)
    terms: list[Term] = list(rollout.program.terms)
    terms[1].starts_on = date(2026, 9, 20)  # inside term 1
    db.session.commit()
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get("/r/de/rollouts/sef-de").get_data(as_text=True)
    assert _steps(html)["program"] == "required"
    assert "Term 2 starts (Sep 20, 2026) before term 1 ends" in html
    page = client.get("/r/de/rollouts/sef-de/launch").get_data(as_text=True)
    assert "Launch waits for these required steps" in page and "Launch and invite" not in page
