from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from app.calls import services
from app.calls.models import CallQuestion
from app.extensions import db
from tests.calls.helpers import first_link, learner, make_rollout, sign_in, text_of

BEFORE_START = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)
#: the first session: Thursday 10 September 2026, 16:00 Berlin (14:00 UTC)
PROMPT_DAY = datetime(2026, 9, 8, 7, 0, tzinfo=UTC)  # Tuesday 09:00 Berlin


def _setup(run_jobs, smtp_sink):
    with time_machine.travel(BEFORE_START, tick=False):
        rollout = make_rollout("de")
        anna = learner(rollout, name="Anna Müller", email="anna@example.com")
        services.generate_series(region=rollout.region, rollout=rollout)
        run_jobs()
    smtp_sink.clear()
    return rollout, anna, services.sessions_of(rollout.id)[0]


def test_questions_from_signed_link_to_agenda_and_notes(
    run_jobs, smtp_sink, client, csrf_token, login_as
):
    rollout, anna, session = _setup(run_jobs, smtp_sink)
    region = rollout.region
    assert services.send_question_prompts(region=region, now=PROMPT_DAY - timedelta(minutes=1)) == 0
    with time_machine.travel(PROMPT_DAY, tick=False):  # the link is signed now
        assert services.send_question_prompts(region=region, now=PROMPT_DAY) == 1
    assert services.send_question_prompts(region=region, now=PROMPT_DAY + timedelta(hours=1)) == 0
    run_jobs()
    prompts = smtp_sink.to("anna@example.com")
    assert len(prompts) == 1 and smtp_sink.to("expert.de@example.com") == []
    link = first_link(prompts[0])

    with time_machine.travel(PROMPT_DAY + timedelta(hours=2), tick=False):
        page = client.get(link)
        # the German learner's page is in German (it was English-only before issue 23)
        assert page.status_code == 200 and "Ihre Frage" in page.get_data(as_text=True)
        assert db.session.scalar(select(func.count()).select_from(CallQuestion)) == 0
        token = csrf_token(link)
        empty = client.post(link, data={"csrf_token": token, "text": "  ", "kind": "stuck"})
        assert empty.status_code == 422
        # the refusal is in the learner's language too, not the browser's or English
        assert "Schreiben Sie Ihre Frage" in empty.get_data(as_text=True)
        ok = client.post(
            link,
            data={"csrf_token": token, "text": "Kafka <partitions> confuse me", "kind": "stuck"},
        )
        assert ok.status_code == 200 and "Vielen Dank" in ok.get_data(as_text=True)
        client.post(link, data={"csrf_token": token, "text": "Event sourcing vs CDC?"})
        questions = db.session.scalars(select(CallQuestion).order_by(CallQuestion.id)).all()
        assert [(q.blocked, q.enrollment_id) for q in questions] == [
            (True, anna.id),
            (False, anna.id),
        ]

        # the expert sees them grouped, escaped, and marks one answered
        sign_in(login_as, rollout.expert)
        path = f"/r/de/rollouts/{rollout.slug}/calls/{session.id}"
        html = client.get(path).get_data(as_text=True)
        assert html.index("Where learners are stuck") < html.index("Kafka &lt;partitions&gt;")
        assert html.index("Kafka &lt;partitions&gt;") < html.index("To discuss")
        answer = client.post(
            f"{path}/questions/{questions[0].id}",
            data={"csrf_token": csrf_token(path), "answered": "1"},
        )
        assert answer.status_code == 302, answer.get_data(as_text=True)
        db.session.expire_all()
        assert questions[0].answered

    # the agenda: from 07:00 Berlin on the day of the call, to the hosts only, once
    assert services.send_agendas(region=region, now=datetime(2026, 9, 10, 4, 59, tzinfo=UTC)) == 0
    assert services.send_agendas(region=region, now=datetime(2026, 9, 10, 5, 0, tzinfo=UTC)) == 2
    assert services.send_agendas(region=region, now=datetime(2026, 9, 10, 9, 0, tzinfo=UTC)) == 0
    run_jobs()
    agenda = text_of(smtp_sink.to("expert.de@example.com")[0])
    assert "Event sourcing vs CDC?" in agenda and "Anna Müller" in agenda
    assert len(smtp_sink.to("anna@example.com")) == 1  # only the earlier prompt

    # after the call the notes and the answered question go to every invitee, once
    smtp_sink.clear()
    with time_machine.travel(datetime(2026, 9, 10, 15, 0, tzinfo=UTC), tick=False):
        sign_in(login_as, rollout.expert)
        path = f"/r/de/rollouts/{rollout.slug}/calls/{session.id}"
        for _ in range(2):
            client.post(
                f"{path}/notes",
                data={
                    "csrf_token": csrf_token(path),
                    "notes": "Partitions = ordering.",
                    "send": "1",
                },
            )
    run_jobs()
    notes = smtp_sink.to("anna@example.com")
    assert len(notes) == 1
    body = text_of(notes[0])
    assert "Partitions = ordering." in body and "Kafka <partitions> confuse me" in body
    assert "Event sourcing" not in body
    assert len(smtp_sink.messages) == 3  # anna, expert, HR partner


def test_question_links_refuse_tampering_expiry_and_closed_calls(
    run_jobs, smtp_sink, client, csrf_token
):
    rollout, _, _ = _setup(run_jobs, smtp_sink)
    with time_machine.travel(PROMPT_DAY, tick=False):
        services.send_question_prompts(region=rollout.region, now=PROMPT_DAY)
    run_jobs()
    link = first_link(smtp_sink.to("anna@example.com")[0])
    with time_machine.travel(PROMPT_DAY, tick=False):
        assert client.get(link[:-3] + "xyz").status_code == 404
        other = make_rollout("fr")
        wrong_region = link.replace(f"/{rollout.region_id}/", f"/{other.region_id}/")
        assert client.get(wrong_region).status_code == 404
    with time_machine.travel(datetime(2026, 9, 10, 13, 0, tzinfo=UTC), tick=False):
        token = csrf_token(link)
    with time_machine.travel(datetime(2026, 9, 10, 15, 0, tzinfo=UTC), tick=False):
        page = client.get(link).get_data(as_text=True)
        assert "Es können keine Fragen mehr gestellt werden" in page
        refused = client.post(link, data={"csrf_token": token, "text": "late"})
        assert refused.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(CallQuestion)) == 0
    with time_machine.travel(PROMPT_DAY + timedelta(days=22), tick=False):
        assert client.get(link).status_code == 410
