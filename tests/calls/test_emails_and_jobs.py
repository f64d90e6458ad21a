from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from app.calls.models import CallInvitation, CallSession
from app.mail.rendering import render_email
from tests.calls.helpers import learner, make_rollout

CONTEXT = {
    "name": "Anna <Müller>",
    "program": "SEF",
    "region_name": "Germany",
    "time_zone": "Europe/Berlin",
    "sessions": ["Thursday 10 September 2026, 16:00"],
    "join_url": "https://meet.example.com/de",
    "duration": 45,
    "host": False,
    "changed": ["Friday 25 September 2026, 09:30"],
    "cancelled": [],
    "note": "Expert travelling",
    "when": "Thursday 10 September 2026, 16:00",
    "url": "http://summit.test/calls/questions/1/x",
    "stuck": [{"who": "Anna", "text": "<script>x</script>"}],
    "discuss": [],
    "notes": "Partitions",
    "answered": [{"who": "Anna", "text": "Why?"}],
}


@pytest.mark.parametrize("locale", ["en_GB", "de_DE", "fr_FR"])
@pytest.mark.parametrize("kind", ["invitation", "update", "question_prompt", "agenda", "notes"])
def test_every_call_email_renders_in_every_language(kind, locale):
    rendered = render_email(f"calls/{kind}", locale=locale, context=CONTEXT)
    assert rendered.subject and "SEF" in rendered.text + rendered.subject
    assert "<script>" not in rendered.html
    assert "Anna &lt;Müller&gt;" in rendered.html or kind == "agenda"


def test_the_jobs_run_per_region_and_commit(run_jobs, smtp_sink):
    import jobs.calls

    with time_machine.travel(datetime(2026, 9, 1, 10, 0, tzinfo=UTC), tick=False):
        rollout = make_rollout("de")
        learner(rollout, email="anna@example.com")
        from app.calls.services import generate_series

        generate_series(region=rollout.region, rollout=rollout, notify=False)
        learner(rollout, email="late@example.com")
        assert jobs.calls.sync_invitations(rollout.region_id) == 1
    with time_machine.travel(datetime(2026, 9, 8, 7, 0, tzinfo=UTC), tick=False):
        assert jobs.calls.send_question_prompts(rollout.region_id) == 2
        assert jobs.calls.send_question_prompts(rollout.region_id) == 0
    with time_machine.travel(datetime(2026, 9, 10, 5, 0, tzinfo=UTC), tick=False):
        assert jobs.calls.send_agendas(rollout.region_id) == 2
    run_jobs()
    assert len(smtp_sink.to("late@example.com")) == 2  # the invitation, then the prompt
    assert len(smtp_sink.to("anna@example.com")) == 1  # the prompt only (recorded by the demo path)
    from app.extensions import db

    first = db.session.scalars(select(CallSession).order_by(CallSession.starts_at)).first()
    assert first.prompts_sent_at is not None and first.agenda_sent_at is not None
    assert db.session.scalars(select(CallInvitation)).all().__len__() == 4


def test_cli_generates_and_runs_due_work(runner):
    with time_machine.travel(datetime(2026, 9, 1, 10, 0, tzinfo=UTC), tick=False):
        rollout = make_rollout("de")
        learner(rollout)
        from app.extensions import db

        db.session.commit()
        result = runner.invoke(args=["calls", "generate", rollout.slug, "--no-email"])
        assert "12 sessions created" in result.output, result.output
        result = runner.invoke(args=["calls", "due", "--region", "de"])
        assert "de: 0 invitations, 0 prompts, 0 agendas" in result.output, result.output
