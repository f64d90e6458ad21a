"""Every page and every email kind renders in each shipped language, from the shipped
catalogs (issue 23: "every email and page renders in all ten languages in tests"). The
pseudo-locale test checks that nothing escapes the catalogs; this one that each real catalog
renders everywhere: no translation breaks a page (a placeholder, a plural form), and each
page and email says its language. About 10 s a language on PostgreSQL.
"""

from __future__ import annotations

import pytest
from babel import Locale

from app.language import SUPPORTED_LOCALES
from tests.language.pseudo import read_page
from tests.language.pseudo_render import email_kinds, render_everything
from tests.language.test_pseudo import NOT_PAGES, NOT_PAGES_SUFFIXES


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_page_and_email_renders_in_the_language(app, locale: str) -> None:
    rendered = render_everything(app, locale, None)
    expected = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if "GET" in (r.methods or ())
        and r.endpoint not in NOT_PAGES
        and not r.rule.endswith(NOT_PAGES_SUFFIXES)
        and not r.rule.startswith(("/xapi/", "/static/"))
    }
    assert expected - rendered.pages.keys() == set(), rendered.missing
    assert set(email_kinds()) - rendered.emails.keys() == set()
    language = Locale.parse(locale).language
    wrong = [
        f"{place} {name}: lang={read_page(html).html_attributes.get('lang')!r}"
        for place, items in (("page", rendered.pages), ("email", rendered.emails))
        for name, (*_rest, html) in items.items()
        if (read_page(html).html_attributes.get("lang") or "").split("-")[0] != language
    ]
    assert wrong == []
