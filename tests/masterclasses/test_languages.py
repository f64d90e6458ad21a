"""The learner's master-class pages (RSVP, leaderboard opt-in, expired links) speak the
learner's language, as the invitation email does: their locale, else their region's
(en, de, fr), English otherwise; dates in the learner's locale. Staff pages stay English."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from app.extensions import db
from app.masterclasses.emails import rsvp_url
from app.masterclasses.invitations import invite_qualifying
from app.masterclasses.recognition import opt_in_url
from tests.factories import PersonFactory, RolloutFactory, region
from tests.links.journey import ask_for_fresh_link
from tests.masterclasses.helpers import completer, invitations, master_class

STARTS = datetime(2030, 3, 14, 15, 0, tzinfo=UTC)  # 16:00 in Berlin

LEARNERS = {
    # id: (region, locale, page language, texts on the RSVP page)
    "german-region": (
        "de",
        None,
        "de",
        ("Ihre Antwort", "noch nicht gegeben", "Donnerstag, 14. März 2030, 16:00"),
    ),
    "french-region": ("fr", None, "fr", ("Votre réponse", "pas encore donnée", "14 mars 2030")),
    "french-in-germany": ("de", "fr_BE", "fr", ("Oui, je viendrai", "14 mars 2030")),
    # no Swedish catalog: the region's language, as the invitation email
    "swedish": ("de", "sv_SE", "de", ("Ihre Antwort", "noch nicht gegeben", "14. März 2030")),
    "japanese-in-germany": ("de", "ja_JP", "ja", ("ご回答", "2030年3月14日")),
    "english-in-germany": ("de", "en_GB", "en", ("I will come", "Thursday, 14 March 2030, 16:00")),
    "american-in-germany": ("de", "en_US", "en", ("I will come", "March 14, 2030")),
}


def _learner(code: str, locale: str | None):
    rollout = RolloutFactory(region_id=region(code).id)
    person = PersonFactory(region_id=rollout.region_id, locale=locale, name="Zoé <Müller>")
    enrollment = completer(rollout, person=person)
    return rollout, enrollment


def _invitation(code: str, locale: str | None, **class_kwargs):
    rollout, _enrollment = _learner(code, locale)
    mc = master_class(rollout.program, region_code=code, starts_at=STARTS, **class_kwargs)
    invite_qualifying(mc)
    db.session.commit()
    [invitation] = invitations(mc)
    return invitation


def _path(url: str) -> str:
    return url.removeprefix("http://summit.test")


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


@pytest.mark.parametrize("who", LEARNERS)
def test_the_rsvp_page_speaks_the_learners_language(client, who) -> None:
    code, locale, lang, expected = LEARNERS[who]
    invitation = _invitation(code, locale)
    page = client.get(_path(rsvp_url(invitation)), headers={"Accept-Language": "it"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'<html lang="{lang}' in html
    for text in expected:
        assert text in html, text
    assert "Zoé &lt;Müller&gt;" in html and "<Müller>" not in html


def test_refusals_and_answers_in_the_learners_language(client) -> None:
    invitation = _invitation("fr", None, capacity=0)
    path = _path(rsvp_url(invitation))
    page = client.get(path).get_data(as_text=True)
    # the class is full: said plainly, with the place the learner would take
    assert "Complet — vous seriez n° 1 sur la liste d'attente." in page
    assert "M'inscrire sur la liste d'attente (n° 1)" in page
    refused = client.post(path, data={"csrf_token": _csrf(page), "choice": ""})
    assert refused.status_code == 422
    assert "Indiquez si vous venez." in refused.get_data(as_text=True)
    client.post(path, data={"csrf_token": _csrf(page), "choice": "accept"})
    html = client.get(path).get_data(as_text=True)
    assert "sur liste d&#39;attente : vous recevrez un e-mail" in html
    assert "Quitter la liste d'attente" in html

    german = _invitation("de", None)
    starts = german.master_class.starts_at = datetime.now(UTC) + timedelta(days=2)
    db.session.commit()
    path = _path(rsvp_url(german))
    with time_machine.travel(starts - timedelta(minutes=5)):
        page = client.get(path).get_data(as_text=True)  # the page opened just before
    with time_machine.travel(starts + timedelta(minutes=5)):
        late = client.post(path, data={"csrf_token": _csrf(page), "choice": "accept"})
    assert late.status_code == 422
    html = late.get_data(as_text=True)
    assert '<html lang="de' in html
    assert "Diese Masterclass hat bereits stattgefunden: Ihre Antwort wurde nicht" in html


@pytest.mark.parametrize(
    ("code", "locale", "lang", "expired", "button", "sent"),
    [
        ("de", None, "de", "Dieser Link ist abgelaufen", "Neuen Link per E-Mail", "Postfach"),
        ("fr", None, "fr", "Ce lien a expiré", "M'envoyer un nouveau", "en route"),
        ("de", "es_ES", "es", "Este enlace ha caducado", "Enviarme un nuevo", "Revise su"),
        ("de", "sv_SE", "de", "Dieser Link ist abgelaufen", "Neuen Link per E-Mail", "Postfach"),
        ("de", "en_GB", "en", "This link has expired", "Email me a fresh", "on its way"),
    ],
)
def test_an_expired_rsvp_link_in_the_learners_language(
    client, code, locale, lang, expired, button, sent
) -> None:
    invitation = _invitation(code, locale)
    with time_machine.travel(datetime.now(UTC) - timedelta(days=181)):
        path = _path(rsvp_url(invitation))
    html, answer = ask_for_fresh_link(client, path, **{"Accept-Language": "it"})
    assert f'<html lang="{lang}' in html
    assert expired in html and button in html
    assert f'<html lang="{lang}' in answer and sent in answer


@pytest.mark.parametrize(
    ("code", "locale", "lang", "texts"),
    [
        (
            "de",
            None,
            "de",
            (
                "Die Bestenliste für Germany",
                "<strong>nicht</strong> in der Bestenliste",
                "Mich in der Bestenliste zeigen",
                "Hat das Programm abgeschlossen",
                "Abzeichen",
            ),
        ),
        (
            "fr",
            None,
            "fr",
            (
                "Le classement pour France",
                "<strong>n'apparaissez pas</strong>",
                "M'afficher dans le classement",
                "A terminé le programme",
                "Les dix premiers",
            ),
        ),
        (
            "de",
            "sv_SE",
            "de",
            (
                "Die Bestenliste für Germany",
                "<strong>nicht</strong> in der Bestenliste",
                "Mich in der Bestenliste zeigen",
                "Hat das Programm abgeschlossen",
            ),
        ),
        (
            "de",
            "en_GB",
            "en",
            ("The Germany leaderboard", "not on", "Show me on the leaderboard", "Top ten"),
        ),
    ],
)
def test_the_leaderboard_opt_in_speaks_the_learners_language(
    client, code, locale, lang, texts
) -> None:
    _rollout, enrollment = _learner(code, locale)
    db.session.commit()
    path = _path(opt_in_url(enrollment))
    html = client.get(path).get_data(as_text=True)
    assert f'<html lang="{lang}' in html
    for text in texts:
        assert text in html, text
    client.post(path, data={"csrf_token": _csrf(html), "choice": "in"})
    html = client.get(path).get_data(as_text=True)
    assert "Zoé &lt;Müller&gt;" in html  # now on the board, escaped
    if lang == "de":
        assert "Besuchte Expertencalls" in html and "Mich aus der Bestenliste entfernen" in html
    if lang == "fr":
        assert "Appels suivis" in html and "Me retirer du classement" in html

    with time_machine.travel(datetime.now(UTC) - timedelta(days=366)):
        old = _path(opt_in_url(enrollment))
    expired = client.get(old)
    assert expired.status_code == 410
    assert f'<html lang="{lang}' in expired.get_data(as_text=True)


def test_the_staff_leaderboard_stays_english(client, login_as) -> None:
    from app.auth.models import Role
    from tests.factories import staff

    _rollout, enrollment = _learner("de", None)
    enrollment.leaderboard_opt_in = True
    login_as(staff(Role.LOCAL_LEAD, "de"))
    html = client.get("/r/de/leaderboard").get_data(as_text=True)
    assert '<html lang="en' in html and "Completed the program" in html
