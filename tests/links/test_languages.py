"""The link problem pages speak the language of the person the token was made for (their
locale, else their region's; en, de, fr), else the browser's best of en/de/fr, else English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from app.extensions import db
from app.goals.services import SURVEY_PURPOSE
from app.language import accepted_locale
from app.links.services import make_token
from app.rollouts.models import EnrollmentState
from tests.factories import EnrollmentFactory, PersonFactory, region

#: a real purpose, wired by the factory: the goal survey (links work 90 days)
PURPOSE = SURVEY_PURPOSE
ISSUED = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
LATER = ISSUED + timedelta(days=100)


def _old_token(**person: object) -> str:
    enrollment = EnrollmentFactory(person=PersonFactory(**person), state=EnrollmentState.ACTIVE)
    db.session.commit()
    with time_machine.travel(ISSUED, tick=False):
        return make_token(purpose=PURPOSE, person_id=enrollment.person_id, object_id=enrollment.id)


def _csrf(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.mark.parametrize(
    ("person", "lang", "expired", "button", "sent"),
    [
        (
            {},
            "de",
            "Dieser Link ist abgelaufen",
            "Neuen Link per E-Mail senden",
            "Sehen Sie in Ihr Postfach",
        ),
        (
            {"locale": "fr_FR"},
            "fr",
            "Ce lien a expiré",
            "M'envoyer un nouveau lien",
            "Consultez votre boîte de réception",
        ),
        (
            {"region": "fr"},
            "fr",
            "Ce lien a expiré",
            "M'envoyer un nouveau lien",
            "Consultez votre boîte de réception",
        ),
        ({"locale": "es_ES"}, "es", "Este enlace ha caducado", "Enviarme un nuevo", "Revise su"),
        # a language Summit has no catalog for reads the region's, as the person's emails
        (
            {"locale": "sv_SE"},
            "de",
            "Dieser Link ist abgelaufen",
            "Neuen Link per E-Mail senden",
            "Sehen Sie in Ihr Postfach",
        ),
        ({"locale": "en_GB"}, "en", "This link has expired", "Email me a fresh link", "on its way"),
    ],
    ids=["german-region", "french", "french-region", "spanish", "swedish", "english-in-germany"],
)
def test_expired_and_fresh_link_pages_speak_the_persons_language(
    client, person, lang, expired, button, sent
) -> None:
    if "region" in person:
        person = {"region_id": region(person["region"]).id}
    path = f"/links/fresh/{PURPOSE}/{_old_token(**person)}"
    with time_machine.travel(LATER, tick=False):
        # the browser asks for something else: the person's language wins
        page = client.get(path, headers={"Accept-Language": "it, en;q=0.1"})
        page = page.get_data(as_text=True)
        assert f'<html lang="{lang}' in page
        assert expired in page and button in page
        response = client.post(path, data={"csrf_token": _csrf(page)})
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}' in html and sent in html


def test_an_expired_token_raised_by_a_view_names_the_persons_language(app) -> None:
    from app.links.services import ActionClaims, LinkExpired, read_token

    token = _old_token(locale="fr")
    with (
        time_machine.travel(LATER, tick=False),
        app.test_request_context("/anything", headers={"Accept-Language": "de"}),
    ):
        with pytest.raises(LinkExpired) as raised:
            read_token(token, purpose=PURPOSE)
        assert isinstance(raised.value.claims, ActionClaims)
        response = app.make_response(app.handle_user_exception(raised.value))
        page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert '<html lang="fr' in page and "Ce lien a expiré" in page


@pytest.mark.parametrize(
    ("accept", "lang", "title"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de", "Dieser Link ist ungültig"),
        ("fr-CH, fr;q=0.9, en;q=0.5", "fr", "Ce lien n'est pas valide"),
        ("sv-SE,sv;q=0.9,fr;q=0.4", "fr", "Ce lien n'est pas valide"),
        ("es-ES,es;q=0.9", "es", "Este enlace no es válido"),
        ("sv-SE,sv;q=0.9", "en", "This link is not valid"),
        ("en-US,de;q=0.9", "en", "This link is not valid"),
        (None, "en", "This link is not valid"),
    ],
)
def test_an_unreadable_token_follows_the_browsers_languages(
    client, csrf_token, accept, lang, title
) -> None:
    forged = make_token(purpose="another.purpose", person_id=1, object_id=5)
    path = f"/links/fresh/{PURPOSE}/{forged}"
    headers = {"Accept-Language": accept} if accept else {}
    page = client.get(path, headers=headers).get_data(as_text=True)
    assert f'<html lang="{lang}' in page  # the page, in the browser's language
    csrf = csrf_token(f"/links/fresh/{PURPOSE}/{_old_token()}")
    response = client.post(path, data={"csrf_token": csrf}, headers=headers)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}' in html and title in html


def test_accepted_locale_takes_the_best_supported_one() -> None:
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    def best(header: str) -> str | None:
        return accepted_locale(parse_accept_header(header, LanguageAccept))

    assert best("en-US,de;q=0.9") == "en_US"  # werkzeug's best_match would say "de"
    assert best("sv;q=0.9,de-AT;q=0.8") == "de_AT"  # no Swedish catalog
    assert best("it;q=0.9,de-AT;q=0.8") == "it"
    assert best("fr;q=0,de;q=0.1") == "de"
    assert best("*") is None and best("") is None
