"""Languages: which of Summit's languages a person, a browser or a locale reads.

Summit writes en, de and fr (emails, the pages signed links open); anything else gets
English. One home for the rule, used by emails, pages and link-problem pages alike.
"""

from __future__ import annotations

from typing import Any

SUPPORTED_LANGUAGES = ("en", "de", "fr")


def babel_locale(locale: str | None) -> str:
    """The Babel locale for ``locale`` ("de_DE", "fr", "en-GB"), English when unknown."""
    if not locale:
        return "en"
    return locale.replace("-", "_")


def language(locale: str | None) -> str:
    lang = babel_locale(locale).split("_")[0].lower()
    return lang if lang in SUPPORTED_LANGUAGES else "en"


def person_language(person: Any, region: Any) -> str:
    """The language Summit writes to a person in (emails and the pages their links open):
    their own locale, else their region's, English where Summit has no text."""
    return language(getattr(person, "locale", None) or getattr(region, "locale", None))


#: the Babel locale of a page in a language when neither the person nor the region has one
_PAGE_LOCALES = {"en": "en_GB", "de": "de_DE", "fr": "fr_FR"}


def page_locale(person: Any, region: Any) -> str:
    """The Babel locale for dates on a page in ``person_language(person, region)``: the
    person's own locale (``de_AT``, ``fr_CH``) or the region's when it is of that
    language, else the language's usual one (an ``es_ES`` learner reads English dates)."""
    lang = person_language(person, region)
    for locale in (getattr(person, "locale", None), getattr(region, "locale", None)):
        if locale and babel_locale(locale).split("_")[0].lower() == lang:
            return babel_locale(locale)
    return _PAGE_LOCALES[lang]


def accepted_language(header_languages: Any) -> str:
    """The best of en, de, fr in an ``Accept-Language`` header (werkzeug's
    ``request.accept_languages``), by quality then order; English when none fits.
    A region subtag counts as its language ("en-US" is English, not a miss)."""
    for value, quality in header_languages:
        if quality <= 0:
            continue
        lang = value.replace("_", "-").split("-")[0].lower()
        if lang in SUPPORTED_LANGUAGES:
            return lang
    return "en"


def page_templates(template: str, lang: str) -> list[str]:
    """``"approvals/decide.html"`` in ``lang`` (``approvals/de/decide.html``), the English
    one as the fallback: pages follow the per-language layout of the email templates."""
    folder, _, name = template.rpartition("/")
    return [f"{folder}/{lang}/{name}", template]
