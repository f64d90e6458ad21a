import re

import pytest

from app.mail.rendering import render_email

CONTEXT = {
    "learner_name": "Chloé <Dubois>",
    "buddy_name": "Ada Lovelace",
    "manager_name": "Maria Manager",
    "sponsor_name": "Dr. Sponsor",
    "lead_name": "Marion Kremer",
    "program_title": "Software Engineer of the Future",
    "region_name": "Germany",
    "course_url": "https://learning.example.com/course",
    "term_number": 2,
    "term_title": "",
    "term_ends_on": "2026-11-01",
    "modules_done": 1,
    "modules_expected": 3,
    "reason": "behind_pace",
    "url": "https://summit.example.com/buddy/term/abc",
    "on_track": 40,
    "excused": 2,
    "removed": 3,
    "removed_names": ["Dev Patel"],
    "names_individuals": True,
}
KINDS = ["at_risk", "at_risk_buddy", "buddy_signoff", "removed", "removed_manager", "outcome"]


@pytest.mark.parametrize("locale", ["en_GB", "de_DE", "fr_FR"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_terms_email_renders_in_every_language(kind, locale):
    email = render_email(f"terms/{kind}", locale=locale, context=CONTEXT)
    assert email.subject and email.text and email.html
    assert "<Dubois>" not in email.html  # names are escaped in HTML


@pytest.mark.parametrize("locale", ["en_GB", "de_DE", "fr_FR"])
def test_the_aggregate_outcome_names_nobody(locale):
    email = render_email(
        "terms/outcome",
        locale=locale,
        context={**CONTEXT, "names_individuals": False, "removed_names": []},
    )
    assert "Dev Patel" not in email.text + email.html


@pytest.mark.parametrize("kind", KINDS)
def test_every_terms_email_names_the_term_by_its_title(kind):
    email = render_email(
        f"terms/{kind}", locale="en_GB", context={**CONTEXT, "term_title": "Cloud foundations"}
    )
    if kind not in {"removed", "removed_manager", "at_risk_buddy"}:  # their subject names none
        assert "Cloud foundations" in email.subject
    for part in (email.text, email.html):
        assert "Cloud foundations" in part
        assert not re.search(r"\b[Tt]erm 2\b", email.subject + part)


@pytest.mark.parametrize(
    ("locale", "fallback"),
    [("en_GB", "Term 2"), ("de_DE", "Abschnitt 2"), ("fr_FR", "Période 2"), ("ja_JP", "ターム 2")],
)
def test_a_term_without_a_title_is_named_in_the_readers_language(locale, fallback):
    email = render_email("terms/at_risk", locale=locale, context=CONTEXT)
    assert fallback in email.subject and fallback in email.text and fallback in email.html
