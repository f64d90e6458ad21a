import re
from datetime import UTC, date, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.extensions import db
from app.goals.services import due_goal_surveys, survey_url
from app.mail.models import OutboundEmail
from app.rollouts.models import EnrollmentState
from app.rollouts.signals import enrollment_completed
from tests.factories import EnrollmentFactory, ProgramFactory, RolloutFactory, region
from tests.links.journey import ask_for_fresh_link
from tests.masterclasses.helpers import completer


def _surveys():
    return db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.kind == "goals/survey")
    ).all()


def _path(enrollment):
    return survey_url(enrollment).removeprefix("http://summit.test")


def test_completion_sends_the_survey_once_showing_the_goal():
    enrollment = completer(RolloutFactory())
    enrollment_completed.send(enrollment)
    enrollment_completed.send(enrollment)
    assert due_goal_surveys(region=region("de")) == 0
    [email] = _surveys()
    assert "Run our deployments without help" in email.text_body
    assert "/goals/survey/" in email.text_body


def test_answer_writes_goal_reached_and_get_changes_nothing(client):
    enrollment = completer(RolloutFactory())
    db.session.commit()
    path = _path(enrollment)
    html = client.get(path).get_data(as_text=True)
    assert "Run our deployments without help" in html
    db.session.refresh(enrollment)
    assert enrollment.goal_reached is None
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    bad = client.post(path, data={"csrf_token": token, "answer": "maybe"})
    assert bad.status_code == 422
    response = client.post(
        path, data={"csrf_token": token, "answer": "partly", "comment": " Tracing yes, ML no "}
    )
    assert response.status_code == 302
    db.session.refresh(enrollment)
    assert enrollment.goal_reached == "partly"
    assert enrollment.goal_comment == "Tracing yes, ML no"
    assert enrollment.goal_answered_at is not None
    client.post(path, data={"csrf_token": token, "answer": "reached"})
    db.session.refresh(enrollment)
    assert enrollment.goal_reached == "reached"  # the latest answer wins
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "goal.answered").order_by(AuditEvent.id)
    ).all()
    assert [e.data["answer"] for e in events] == ["partly", "reached"]


def test_expired_and_tampered_survey_links_are_refused(client):
    enrollment = completer(RolloutFactory())
    db.session.commit()
    path = _path(enrollment)
    assert client.get(path + "x").status_code == 404
    with time_machine.travel(datetime.now(UTC) + timedelta(days=91)):
        ask_for_fresh_link(client, path)
        [fresh] = db.session.scalars(
            select(OutboundEmail).where(OutboundEmail.kind == "links/fresh_link")
        ).all()
        assert fresh.person_id == enrollment.person_id
        new_path = re.search(r"http://summit\.test(/goals/survey/\S+)", fresh.text_body)
        assert client.get(new_path.group(1)).status_code == 200
    db.session.refresh(enrollment)
    assert enrollment.goal_reached is None


def test_program_end_surveys_everyone_still_enrolled_once():
    program = ProgramFactory(structure=date(2026, 9, 7))  # ends Sunday 29 November 2026
    rollout = RolloutFactory(program=program)
    active = EnrollmentFactory(rollout=rollout, state=EnrollmentState.ACTIVE)
    EnrollmentFactory(rollout=rollout, state=EnrollmentState.WITHDRAWN)
    EnrollmentFactory(rollout=rollout, state=EnrollmentState.INVITED)
    other = EnrollmentFactory(
        rollout=RolloutFactory(program=program, region_id=region("fr").id),
        state=EnrollmentState.ACTIVE,
    )
    de = region("de")
    # 23:30 on the last day in Berlin: the program has not ended there yet
    with time_machine.travel(datetime(2026, 11, 29, 22, 30, tzinfo=UTC), tick=False):
        assert due_goal_surveys(region=de) == 0
    with time_machine.travel(datetime(2026, 11, 29, 23, 30, tzinfo=UTC), tick=False):
        assert due_goal_surveys(region=de) == 1
        assert due_goal_surveys(region=de) == 0
    [email] = _surveys()
    assert email.person_id == active.person_id
    db.session.refresh(other)
    assert other.goal_survey_sent_at is None
