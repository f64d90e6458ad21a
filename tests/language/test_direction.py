"""Right-to-left ready: a catalog for an RTL language is all it takes (pseudo-locale ``ar``).

The test catalog lives in the test's temporary folder, not under translations/: Arabic
is not shipped; Babel's CLDR data for ``ar`` gives the direction and the formats.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from app import language
from app.language import force_reader, gettext, html_lang, ngettext, text_direction
from app.mail.rendering import environments

PAGE = (
    '<html lang="{{ html_lang() }}" dir="{{ text_direction() }}">'
    "<h1>{% trans %}Your study time{% endtrans %}</h1>"
    "<p>{% trans count=n %}{{ count }} learner{% pluralize %}{{ count }} learners{% endtrans %}</p>"
    "<p>{{ at|local_date('long') }}</p></html>"
)


@pytest.fixture
def arabic(tmp_path: Path) -> Iterator[None]:
    catalog = Catalog(locale="ar")
    catalog.add("Your study time", "وقت دراستك")
    for name in ("num", "count"):  # Python's ngettext, Jinja's {% trans count=… %}
        forms = ("متعلم", "متعلم", "متعلمان", "متعلمين", "متعلمًا", "متعلم")
        catalog.add(
            (f"%({name})s learner", f"%({name})s learners"),
            tuple(f"%({name})s {form}" for form in forms),
        )
    folder = tmp_path / "ar" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as mo:
        write_mo(mo, catalog)
    language.add_test_catalog("ar", "ar", str(tmp_path))
    yield
    language.remove_test_catalog("ar")


def test_an_rtl_locale_sets_dir_and_lang_in_an_email(arabic: None) -> None:
    html_env, _ = environments()
    with force_reader("ar", "Asia/Riyadh"):
        html = html_env.from_string(PAGE).render(n=3, at=datetime(2026, 12, 10, 22, 0, tzinfo=UTC))
        assert gettext("Your study time") == "وقت دراستك"
        assert ngettext("%(num)s learner", "%(num)s learners", 3) == "3 متعلمين"
    assert html.startswith('<html lang="ar" dir="rtl">')
    assert "<h1>وقت دراستك</h1>" in html
    assert "3 متعلمين" in html
    assert "11 ديسمبر 2026" in html  # Riyadh is already on the 11th


def test_an_rtl_locale_on_a_page_from_the_browser(app, arabic: None) -> None:
    with app.test_request_context(headers={"Accept-Language": "ar, en;q=0.5"}):
        html = app.jinja_env.from_string(PAGE).render(n=1, at=datetime(2026, 12, 10, tzinfo=UTC))
    assert html.startswith('<html lang="ar" dir="rtl">')
    assert "<h1>وقت دراستك</h1>" in html


def test_without_the_catalog_arabic_readers_get_english_left_to_right(app) -> None:
    with app.test_request_context(headers={"Accept-Language": "ar, de;q=0.5"}):
        assert (html_lang(), text_direction()) == ("de", "ltr")
    with force_reader("ar"):
        assert (html_lang(), text_direction()) == ("en", "ltr")
