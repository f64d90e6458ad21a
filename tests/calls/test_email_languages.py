"""The call emails in German and French come from the catalogs, not from copies."""

from __future__ import annotations

import re

import pytest

from app.mail.rendering import render_email
from tests.calls.test_emails_and_jobs import CONTEXT

JOIN = {"en_GB": "Join:", "de_DE": "Teilnehmen:", "fr_FR": "Rejoindre"}


@pytest.mark.parametrize("locale", ["en_GB", "de_DE", "fr_FR"])
@pytest.mark.parametrize("kind", ["invitation", "agenda"])
def test_no_join_line_without_a_join_link(kind, locale):
    with_link = render_email(f"calls/{kind}", locale=locale, context=CONTEXT)
    without = render_email(f"calls/{kind}", locale=locale, context={**CONTEXT, "join_url": ""})
    assert JOIN[locale] in with_link.text and JOIN[locale] in with_link.html
    assert JOIN[locale] not in without.text and JOIN[locale] not in without.html
    assert 'href=""' not in without.html


def test_german_and_french_wording_is_the_old_copies():
    de = render_email("calls/invitation", locale="de_DE", context=CONTEXT)
    assert de.text.startswith("Hallo Anna <Müller>,")
    assert "Die Termine (45 Minuten, Zeiten in Europe/Berlin):" in de.text
    assert "Bringen Sie mit, was Sie besprechen möchten" in de.text
    assert '<html lang="de-DE" dir="ltr">' in de.html
    fr = render_email("calls/invitation", locale="fr_CH", context=CONTEXT)
    assert fr.text.startswith("Bonjour Anna <Müller>,")
    assert '<html lang="fr-CH" dir="ltr">' in fr.html
    # a language Summit does not write (no catalog) reads English, and says so in lang
    sv = render_email("calls/invitation", locale="sv_SE", context=CONTEXT)
    assert sv.text.startswith("Hello Anna <Müller>,") and 'lang="en"' in sv.html
    es = render_email("calls/invitation", locale="es_ES", context=CONTEXT)
    assert es.text.startswith("Hola, Anna <Müller>:") and 'lang="es-ES"' in es.html


LANGUAGES = [
    "en_GB",
    "de_DE",
    "fr_FR",
    "es_ES",
    "it_IT",
    "pt_BR",
    "pl_PL",
    "nl_NL",
    "ja_JP",
    "zh_CN",
]


@pytest.mark.parametrize("locale", LANGUAGES)
@pytest.mark.parametrize("kind", ["invitation", "agenda", "update", "question_prompt", "notes"])
def test_no_empty_or_relative_link_and_how_to_join_is_said(kind, locale):
    """Without a join link the invitation says how the link will come (and the agenda tells
    the host what to do); no call email carries an empty or relative href."""
    without = render_email(f"calls/{kind}", locale=locale, context={**CONTEXT, "join_url": ""})
    hrefs = re.findall(r'href="([^"]*)"', without.html)
    assert all(h.startswith(("https://", "http://", "mailto:")) for h in hrefs), hrefs
    if kind == "invitation":
        english = render_email(
            "calls/invitation", locale="en_GB", context={**CONTEXT, "join_url": ""}
        )
        assert "The link to join the calls is not set yet." in english.text
        assert "before the first call" in english.html
        assert without.text != english.text or locale == "en_GB"  # said in the reader's language
