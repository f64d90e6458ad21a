"""Pseudo-localisation: every page and every email in a pseudo-locale (issue 23).

Each message comes out accented, 40 % longer and bracketed (``⟦Šàṽé ~⟧``, see
``tests/language/pseudo.py``); the demo organisation and a few services' worth of mail
are rendered for readers of ``en_001`` (left to right) and ``ar_001`` (right to left),
and every page and email must then

- declare ``lang`` (and ``dir``) for that locale on its ``<html>``;
- show no text that is neither a message nor the test's own data (names, titles, dates
  Babel formats): what remains is text that never went through the catalogs;
- show every message whole (each ``⟦`` closed), in nothing that clips text at a fixed size.

Run it alone: ``.venv/bin/python -m pytest tests/language/test_pseudo.py -q``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel import Locale

from tests.language.known_untranslated import KNOWN_UNTRANSLATED
from tests.language.pseudo import (
    CLIPS,
    LTR,
    RTL,
    balanced,
    data_pattern,
    pseudo,
    read_page,
    untranslated,
)
from tests.language.pseudo_render import Rendered, email_kinds, render_everything

STYLESHEET = Path(__file__).resolve().parents[2] / "app" / "static" / "summit.css"

#: GET routes that are not an HTML page a person reads, and why
NOT_PAGES = {
    "auth.entra_callback": "Entra ID's redirect back: signs in, then redirects",
    "auth.entra_verify": "a redirect of the sign-in flow",
    "web.switch_region": "a redirect to the chosen region",
    "web.healthz": "JSON for the load balancer",
    "mail.attachment": "a file from the dev mailbox",
    "reports.chart": "a PNG (its words are checked in the report page's SVG)",
    "reports_public.one_click_page": "RFC 8058 one-click target, POSTed by mail clients",
    "journey_public.follow": "a measured redirect to the course, the question form or the page",
    "journey_public.pixel": "a 1x1 GIF (opens, where the region's policy names people)",
    # pages the demo has no object for (it imports no progress file); tests/progress
    # renders them, and a demo progress import would bring them in here
    "progress.import_status": "no progress import in the demo",
    "progress.columns": "no progress import in the demo",
}
#: data files (CSV, JSON, PNG, ICS) and the xAPI API (below /xapi/) are not pages
NOT_PAGES_SUFFIXES = (".json", ".csv", ".png", ".ics")


@pytest.fixture(scope="module")
def both(app, tmp_path_factory) -> dict[str, Rendered]:
    """Everything rendered once per locale for the whole module (about 10 s each)."""
    return {
        locale: render_everything(app, locale, tmp_path_factory.mktemp(locale))
        for locale in (LTR, RTL)
    }


@pytest.fixture(params=[LTR, RTL])
def rendered(request: pytest.FixtureRequest, both: dict[str, Rendered]) -> Rendered:
    return both[request.param]


def _places(rendered: Rendered) -> dict[str, tuple[str, list[str], str]]:
    """Each page and email → (its HTML, its extra text runs, the whole text read)."""
    places = {f"page {e}": (html, [], "") for e, (_p, _r, html) in rendered.pages.items()}
    for kind, (subject, text, html) in rendered.emails.items():
        places[f"email {kind}"] = (html, [subject, *text.splitlines()], f"{subject}\n{text}")
    return places


def test_the_pseudo_messages_keep_placeholders_tags_and_plural_forms(tmp_path) -> None:
    message = 'Hello %(name)s, see <a href="{url}">the guide</a> &amp; %%'
    made = pseudo(message)
    assert made.startswith("⟦Ĥéļļö %(name)s, šéé ") and made.endswith("~⟧")
    assert '<a href="{url}">ţĥé ĝûîðé</a> &amp; %%' in made
    assert made.count("~") >= 0.3 * len("Hello , see the guide & ")  # the words, 40 % longer
    from babel.messages.mofile import read_mo

    from tests.language.pseudo import build_catalog

    with (build_catalog(RTL, tmp_path) / "messages.mo").open("rb") as mo:
        catalog = read_mo(mo)
    plural = next(m for m in catalog if isinstance(m.id, tuple | list))
    assert len(plural.string) == 6  # Arabic has six plural forms
    assert all(form.startswith("⟦") for form in plural.string)


def test_the_checks_catch_what_they_are_for() -> None:
    """Unmarked words, a message cut short, a clipping style: each is found (no vacuous pass)."""
    data = data_pattern({"Ada Lovelace", "Data literacy"}, LTR)
    page = read_page(
        '<html lang="en-001" dir="ltr"><h1>⟦Ŵéļçöɱé ~⟧ Ada Lovelace</h1>'
        '<button title="Save">⟦Šàṽé ~⟧</button><p>Data literacy: 3 December, 12 hours</p>'
        '<span style="display:inline-block; width: 80px; overflow: hidden">⟦Ļöñĝ ļàƀéļ ~~~~⟧</span>'
        "<td>⟦Ţĥé ŕéþöŕţ</td></html>"
    )
    left = [untranslated(run, data) for run in page.runs]
    assert [text for text in left if text] == ["Save"]
    assert page.clipped == ["⟦Ļöñĝ ļàƀéļ ~~~~⟧"]
    assert not balanced(" ".join(page.runs)) and balanced("⟦À ⟦ƀ⟧ ~⟧")


def test_every_page_and_every_email_kind_is_rendered(app, rendered: Rendered) -> None:
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
    assert len(rendered.emails) >= 30 and len(rendered.pages) >= 50


def test_every_page_and_email_declares_lang_and_dir(rendered: Rendered) -> None:
    locale = Locale.parse(rendered.locale)
    wrong = []
    for place, (html, _runs, _text) in _places(rendered).items():
        attributes = read_page(html).html_attributes
        lang, direction = attributes.get("lang") or "", attributes.get("dir")
        expected = (locale.language, locale.text_direction)
        if (lang.split("-")[0], direction) != expected:
            wrong.append(f"{place}: lang={lang!r} dir={direction!r}")
    assert wrong == []


def untranslated_text(rendered: Rendered) -> dict[str, set[str]]:
    """Place → the text runs (data taken out) that no catalog message made."""
    data = data_pattern(rendered.data, rendered.locale)
    found: dict[str, set[str]] = {}
    for place, (html, runs, _text) in _places(rendered).items():
        for run in [*read_page(html).runs, *runs]:
            left = untranslated(run, data)
            if left:
                found.setdefault(place, set()).add(left)
    return found


def test_no_text_escapes_the_catalogs(both: dict[str, Rendered]) -> None:
    """In either locale; the list of what is known to escape only shrinks."""
    found: dict[str, set[str]] = {}
    for rendered in both.values():
        for place, runs in untranslated_text(rendered).items():
            found.setdefault(place, set()).update(runs)
    new = {p: sorted(s - KNOWN_UNTRANSLATED.get(p, set())) for p, s in found.items()}
    assert {p: s for p, s in new.items() if s} == {}, "mark these for translation"
    gone = {p: sorted(s - found.get(p, set())) for p, s in KNOWN_UNTRANSLATED.items()}
    assert {p: s for p, s in gone.items() if s} == {}, "translated now: drop from the list"


def test_every_message_comes_out_whole_and_unclipped(rendered: Rendered) -> None:
    cut, clipped = [], []
    for place, (html, _runs, text) in _places(rendered).items():
        page = read_page(html)
        if not balanced(" ".join(page.runs)) or not balanced(text):
            cut.append(place)
        clipped += [f"{place}: {run}" for run in page.clipped]
        clipped += [f"{place}: <style> {m}" for s in page.styles for m in CLIPS.findall(s)]
    assert cut == [] and clipped == []


def test_the_stylesheet_clips_no_text() -> None:
    rules = re.findall(r"([^{}]+)\{([^{}]*)\}", STYLESHEET.read_text(encoding="utf-8"))
    clipping = [
        selector.strip()
        for selector, body in rules
        if CLIPS.search(body)
        # visually hidden on purpose (screen readers read it whole), and boxes, not text
        and selector.strip() not in {".sr-only", ".progress", ".chart svg", ".error-trace"}
    ]
    assert clipping == []
