"""The buddy sign-off page speaks the buddy's language, as the email asking them does: their
locale, else their region's (en, de, fr), English otherwise; a link that names nobody
follows the browser's Accept-Language."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from app.extensions import db
from app.links.services import make_action_url
from app.terms.buddies import due_buddy_signoffs
from app.terms.common import BUDDY_PURPOSE
from tests.progress.helpers import make_course
from tests.terms.test_buddy import AFTER_TERM, review_of


def _path(course, who: str = "ada", of: str = "ben", *, issued: datetime | None = None) -> str:
    due_buddy_signoffs(region=course.rollout.region, now=AFTER_TERM)
    db.session.commit()
    with time_machine.travel(issued or datetime.now(UTC), tick=False):
        url = make_action_url(
            endpoint="terms_public.buddy_signoff",
            purpose=BUDDY_PURPOSE,
            person_id=course.enrollments[who].person_id,
            object_id=review_of(course, of).id,
        )
    return url.removeprefix("http://summit.test")


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


@pytest.mark.parametrize(
    ("code", "locale", "lang", "asked", "button", "thanks"),
    [
        (
            "de",
            None,
            "de",
            "Abschnitt 1 von Ben Okafor",
            "Hat Ben Okafor die Arbeit für Abschnitt 1 erledigt, soweit Sie es gesehen haben?",
            "Abschnitt 1 von Ben Okafor ist bestätigt.",
        ),
        (
            "fr",
            None,
            "fr",
            "Période 1 de Ben Okafor",
            "Ben Okafor a-t-il ou a-t-elle fait le travail de la période 1 ?",
            "La période 1 de Ben Okafor est confirmée.",
        ),
        (
            "de",
            "fr_BE",
            "fr",
            "Période 1 de Ben Okafor",
            "Ben Okafor a-t-il ou a-t-elle fait le travail de la période 1 ?",
            "La période 1 de Ben Okafor est confirmée.",
        ),
        (
            "de",
            "sv_SE",  # no Swedish catalog: the region's language, as the buddy's email
            "de",
            "Abschnitt 1 von Ben Okafor",
            "Hat Ben Okafor die Arbeit für Abschnitt 1 erledigt, soweit Sie es gesehen haben?",
            "Abschnitt 1 von Ben Okafor ist bestätigt.",
        ),
        (
            "de",
            "en_GB",
            "en",
            "Ben Okafor's term 1",
            "Has Ben Okafor done the work of term 1, as far as you have seen it?",
            "Ben Okafor's term 1 is confirmed.",
        ),
    ],
    ids=["german-region", "french-region", "french-in-germany", "swedish", "english-in-germany"],
)
def test_the_page_speaks_the_buddys_language(
    client, code, locale, lang, asked, button, thanks
) -> None:
    course = make_course(code)
    course.enrollments["ada"].person.locale = locale
    path = _path(course)
    page = client.get(path, headers={"Accept-Language": "it"}).get_data(as_text=True)
    assert f'<html lang="{lang}' in page
    assert asked in page and button in page
    done = client.post(path, data={"csrf_token": _csrf(page), "answer": "confirmed"})
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    assert f'<html lang="{lang}' in html and thanks in html


def test_a_learners_name_is_escaped_in_every_language(client) -> None:
    course = make_course("fr")
    course.enrollments["ben"].person.name = "<b>Ben</b> O'Kafor"
    page = client.get(_path(course)).get_data(as_text=True)
    assert "<b>Ben</b>" not in page and "&lt;b&gt;Ben&lt;/b&gt; O&#39;Kafor" in page


def test_refusals_and_expired_links_in_the_buddys_language(client) -> None:
    course = make_course("fr")
    # Chloé holds a link to Ben's review: the refusal is in her (French) language
    # (and never sees Ben's progress, not even on GET)
    path = _path(course, "chloe")
    shown = client.get(path)
    assert shown.status_code == 403 and "Seul le binôme peut répondre" in shown.get_data(
        as_text=True
    )
    token = _csrf(client.get(_path(course)).get_data(as_text=True))
    refused = client.post(path, data={"csrf_token": token, "answer": "confirmed"})
    assert refused.status_code == 403
    html = refused.get_data(as_text=True)
    assert '<html lang="fr' in html and "Seul le binôme peut répondre" in html

    old = _path(course, issued=datetime.now(UTC) - timedelta(days=30))
    expired = client.get(old, headers={"Accept-Language": "de"})
    assert expired.status_code == 410
    html = expired.get_data(as_text=True)
    assert '<html lang="fr' in html and "Ce lien a expiré" in html  # the token names Ada

    course.enrollments["ada"].person.locale = "de_CH"
    db.session.commit()
    html = client.get(old).get_data(as_text=True)
    assert '<html lang="de' in html and "Dieser Link ist abgelaufen" in html


@pytest.mark.parametrize(
    ("accept", "lang", "text"),
    [
        ("de-DE,de;q=0.9", "de", "Dieser Link ist ungültig"),
        ("fr-FR,fr;q=0.9", "fr", "Ce lien n'est pas valide"),
        ("sv-SE,sv;q=0.9", "en", "This link is not valid"),
        ("es-ES,es;q=0.9", "es", "Este enlace no es válido"),
        (None, "en", "This link is not valid"),
    ],
)
def test_a_link_that_names_nobody_follows_the_browser(client, accept, lang, text) -> None:
    path = _path(make_course("fr")) + "x"
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get(path, headers=headers)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}' in html and text in html
