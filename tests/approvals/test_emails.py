"""Every approval email renders in every language (StrictUndefined fails on a missing name)."""

from datetime import date

import pytest

from app.mail.rendering import render_email

PROGRAM = {
    "program_title": "Leading Hybrid Teams",
    "program_description": "Four modules.",
    "provider": "LinkedIn Learning",
    "course_url": "https://learning.example.com/c",
    "hours_per_week": "2",
    "sponsor_message": "Give them <the hours>",
    "sponsor_names": "Dr. Klaus Hartmann",
    "terms": [{"title": "Term 1", "starts": "7 Sep 2026", "ends": "4 Oct 2026"}],
    "decide_by": "7 Sep 2026",
    "region_name": "Germany",
}
REQUEST = {
    **PROGRAM,
    "manager_name": "Bert Boss",
    "delegated_by": "Olga Old",
    "reports": [
        {"name": "Anna <b>", "new": True, "status": "pending", "goal": ""},
        {"name": "Jonas", "new": False, "status": "proposed", "goal": ""},
    ],
    "decision_url": "http://summit.test/approvals/decide/x",
    "ask": {
        "count": 1,
        "who": "Anna <b>",
        "hours": 1.5,
        "weeks": 16,
        "per_person": 24.0,
        "team_per_week": 1.5,
        "deadline": date(2026, 9, 4),
    },
    "leads": [{"name": "Marion Kremer", "email": "marion@example.com"}],
}
OUTCOME = {
    **PROGRAM,
    "learner_name": "Anna",
    "manager_name": "Bert Boss",
    "hours_requested": "2",
    "hours_decided": "1.5",
    "reason": "Q4 crunch",
    "block": "Friday 14:00",
}
ESCALATION = {
    **PROGRAM,
    "lead_name": "Marion Kremer",
    "managers": [
        {
            "name": "Bert Boss",
            "email": "bert@example.com",
            "their_manager": "Doris Director",
            "reports": ["Anna", "Jonas"],
            "reminders": 2,
        }
    ],
}
CASES = [
    ("approvals/request", {**REQUEST, "occasion": o, "follow_up": f})
    for o in ("request", "reminder", "resend", "delegation")
    for f in (False, True)
] + [("approvals/outcome", {**OUTCOME, "status": s}) for s in ("approved", "declined", "proposed")]
CASES.append(("approvals/escalation", ESCALATION))


@pytest.mark.parametrize("locale", ["en_US", "de_DE", "fr_FR"])
@pytest.mark.parametrize(("kind", "context"), CASES)
def test_renders(kind, context, locale):
    rendered = render_email(kind, locale=locale, context=context)
    assert rendered.subject and "\n" not in rendered.subject
    assert "Leading Hybrid Teams" in rendered.text
    assert "<b>" not in rendered.html  # names are escaped in HTML
    if kind == "approvals/request":
        assert "http://summit.test/approvals/decide/x" in rendered.text
        assert 'href="http://summit.test/approvals/decide/x"' in rendered.html
