"""Teams meeting links: a rollout without a join URL gets one Teams meeting for its calls,
created through Microsoft Graph (the local fake over HTTPS, with a token from the fake
identity provider), and every session and invitation carries its joinWebUrl."""

from datetime import UTC, datetime

import time_machine

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.calls import services
from app.extensions import db
from tests.calls.helpers import calendars, learner, make_rollout, sign_in, text_of
from tests.factories import staff

BEFORE_START = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)
TEAMS = "https://teams.example/l/meetup-join/1"


def _generate(client, login_as, csrf_token, rollout):
    sign_in(login_as, staff(Role.LOCAL_LEAD, rollout.region.code))
    path = f"/r/{rollout.region.code}/rollouts/{rollout.slug}/calls"
    return client.post(
        f"{path}/generate", data={"csrf_token": csrf_token(path)}, follow_redirects=True
    )


@time_machine.travel(BEFORE_START, tick=False)
def test_a_rollout_without_a_join_url_gets_a_teams_meeting(
    fake_entra, client, login_as, csrf_token, run_jobs, smtp_sink
):
    rollout = make_rollout("de", call_join_url="")
    learner(rollout, email="anna@example.com")
    page = _generate(client, login_as, csrf_token, rollout)
    assert page.status_code == 200 and "12 sessions created" in page.get_data(as_text=True)

    [meeting] = fake_entra.meetings
    assert meeting["organizer"] == "organizer@contoso.example"
    sessions = services.sessions_of(rollout.id)
    held = [s for s in sessions if not s.cancelled]
    # one meeting for the whole series: from the first call to the end of the last
    assert datetime.fromisoformat(meeting["startDateTime"]) == held[0].starts_at
    assert datetime.fromisoformat(meeting["endDateTime"]) > held[-1].starts_at
    assert "POST /v1.0/users/organizer@contoso.example/onlineMeetings" in fake_entra.graph_calls
    assert fake_entra.token_requests[-1]["grant_type"] == "client_credentials"
    db.session.expire_all()
    assert rollout.call_join_url == TEAMS
    assert {s.join_url for s in sessions} == {TEAMS}
    assert db.session.query(AuditEvent).filter_by(action="calls.teams_meeting_created").count()

    run_jobs()
    invitation = smtp_sink.to("anna@example.com")[0]
    assert TEAMS in text_of(invitation)
    [event] = calendars(invitation)["REQUEST"].walk("VEVENT")[:1]
    assert str(event["LOCATION"]) == TEAMS

    # generating again (missing sessions only) makes no second meeting
    _generate(client, login_as, csrf_token, rollout)
    assert len(fake_entra.meetings) == 1


@time_machine.travel(BEFORE_START, tick=False)
def test_a_fixed_join_url_makes_no_meeting(fake_entra, client, login_as, csrf_token):
    rollout = make_rollout("de")
    _generate(client, login_as, csrf_token, rollout)
    assert fake_entra.meetings == []
    assert {s.join_url for s in services.sessions_of(rollout.id)} == {"https://meet.example.com/de"}


@time_machine.travel(BEFORE_START, tick=False)
def test_without_a_teams_organizer_the_calls_have_no_link(app, client, login_as, csrf_token):
    rollout = make_rollout("de", call_join_url="")
    page = _generate(client, login_as, csrf_token, rollout)
    assert "12 sessions created" in page.get_data(as_text=True)
    assert {s.join_url for s in services.sessions_of(rollout.id)} == {""}


@time_machine.travel(BEFORE_START, tick=False)
def test_when_graph_refuses_nothing_is_created(fake_entra, client, login_as, csrf_token):
    rollout = make_rollout("de", call_join_url="")
    learner(rollout, email="anna@example.com")
    fake_entra.throttle, fake_entra.retry_after = 5, "3600"  # come back in an hour
    page = _generate(client, login_as, csrf_token, rollout)
    assert "Microsoft Teams did not create the meeting" in page.get_data(as_text=True)
    db.session.expire_all()
    assert services.sessions_of(rollout.id) == []
    assert rollout.call_join_url == ""
