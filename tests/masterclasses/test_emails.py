import pytest

from app.mail.rendering import render_email

CONTEXT = {
    "name": "Anna <Müller>",
    "title": "Architecture & <you>",
    "hosts": "Ada Lovelace",
    "description": "",
    "program": "Software Engineer of the Future",
    "starts": "Thursday, 14 January 2027 at 17:30",
    "seats_left": 3,
    "capacity": 20,
    "time_zone": "Europe/Berlin",
    "duration_minutes": 90,
    "location": "Berlin HQ",
    "join_url": "https://meet.example.com/x",
    "face_to_face": True,
    "rsvp_url": "http://summit.test/masterclasses/rsvp/abc",
    "leaderboard_url": "http://summit.test/recognition/def",
    "update": False,
    "goal": "Ship <it>",
    "completed": True,
    "survey_url": "http://summit.test/goals/survey/ghi",
}
KINDS = [
    "masterclasses/invitation",
    "masterclasses/accepted",
    "masterclasses/promoted",
    "masterclasses/waitlisted",
    "masterclasses/declined",
    "masterclasses/reminder",
    "goals/survey",
]


@pytest.mark.parametrize("locale", ["en", "de_DE", "fr_FR"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_email_renders_in_every_language_escaped(kind, locale):
    rendered = render_email(kind, locale=locale, context=CONTEXT)
    link = CONTEXT["survey_url"] if kind.startswith("goals") else CONTEXT["rsvp_url"]
    assert link in rendered.text and link in rendered.html
    assert CONTEXT["leaderboard_url"] in rendered.html
    assert "Anna <Müller>" in rendered.text
    assert "Anna &lt;Müller&gt;" in rendered.html and "<Müller>" not in rendered.html
    assert rendered.subject and "\n" not in rendered.subject
    if locale.startswith("de"):
        assert rendered.text.startswith("Hallo")
    if locale.startswith("fr"):
        assert rendered.text.startswith("Bonjour")
