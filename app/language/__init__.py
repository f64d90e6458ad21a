"""Languages: the locale a reader gets, gettext, and the one set of formatting filters.

Core layer: nothing here imports a capability. Who the reader is comes in as plain
values (a person's or a region's locale string, a staff member's preference) or, during
a request, from ``g`` (``g.staff``, ``g.region``, set by ``app.auth.access``).

Flask-Babel selects the locale and time zone of a request; an email rendered in a job
runs inside ``force_reader(locale, time_zone)``. Catalogs are ``translations/<id>/
LC_MESSAGES/messages.po`` (compiled to ``.mo`` by ``make install``), one per supported
locale, found by the reader's language: a ``de_AT`` reader gets the ``de`` catalog and
Austrian dates.

The filters (same names, same arguments in pages, emails, ICS and charts)::

    {{ call.starts_at|local_datetime }}             13 Nov 2026, 16:00  (medium)
    {{ call.starts_at|local_datetime("full") }}     any Babel format or pattern
    {{ call.starts_at|local_time }}                 16:00  (short)
    {{ term.ends_on|local_date("long") }}           13. November 2026
    {{ value|local_datetime(tz="Asia/Kolkata", locale="en_IN") }}
    {{ 1234.5|number }}   {{ 0.87|percent }}   {{ 48|hours }}   {{ 90|duration }}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from jinja2 import Environment

from app.language.formatting import (
    FILTERS,
    _at_render,
    duration,
    hours,
    language_name,
    languages,
    local_date,
    local_datetime,
    local_time,
    number,
    percent,
    weekday,
)
from app.language.locales import (
    DEFAULT_LOCALE,
    DEFAULT_TIME_ZONE,
    DOMAIN,
    N_,
    PROJECT_ROOT,
    SUPPORTED_LOCALES,
    TRANSLATIONS_DIR,
    _,
    _select_locale,
    _select_time_zone,
    _translations,
    accepted_locale,
    add_test_catalog,
    babel,
    catalog_id,
    current_locale,
    current_time_zone,
    force_reader,
    gettext,
    html_lang,
    in_language,
    lazy_gettext,
    ngettext,
    person_locale,
    pgettext,
    reader_locale,
    remove_test_catalog,
    speak_to,
    staff_locale,
    supported,
    text_direction,
    translate,
    translations,
    use_for_request,
)

__all__ = [
    "DEFAULT_LOCALE",
    "DEFAULT_TIME_ZONE",
    "DOMAIN",
    "FILTERS",
    "N_",
    "PROJECT_ROOT",
    "SUPPORTED_LOCALES",
    "TRANSLATIONS_DIR",
    "_",
    "accepted_locale",
    "add_test_catalog",
    "babel",
    "catalog_id",
    "current_locale",
    "current_time_zone",
    "duration",
    "force_reader",
    "gettext",
    "hours",
    "html_lang",
    "in_language",
    "language_name",
    "languages",
    "lazy_gettext",
    "local_date",
    "local_datetime",
    "local_time",
    "ngettext",
    "number",
    "percent",
    "person_locale",
    "pgettext",
    "reader_locale",
    "remove_test_catalog",
    "speak_to",
    "staff_locale",
    "supported",
    "text_direction",
    "translate",
    "translations",
    "use_for_request",
    "weekday",
]


def install_jinja(env: Environment) -> None:
    """gettext (``{% trans %}``, ``_()``, plural forms), the filters, ``html_lang()`` and
    ``text_direction()`` in a Jinja environment: the web's and each email one."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    env.filters.update({name: _at_render(f) for name, f in FILTERS.items()})
    env.globals.update(
        html_lang=html_lang,
        text_direction=text_direction,
        current_time_zone=current_time_zone,
        speak_to=speak_to,
    )


def init_app(app: Flask) -> None:
    """Flask-Babel with Summit's selectors, and the web's Jinja environment."""
    babel.init_app(
        app,
        default_locale=DEFAULT_LOCALE,
        default_timezone=DEFAULT_TIME_ZONE,
        default_translation_directories=str(TRANSLATIONS_DIR),
        locale_selector=_select_locale,
        timezone_selector=_select_time_zone,
    )
    install_jinja(app.jinja_env)


def compile_catalogs(directory: str | None = None) -> list[str]:
    """Compile every ``.po`` under translations/ whose ``.mo`` is missing or older (what
    ``make install`` does with pybabel; the tests call it when a checkout has no .mo)."""
    compiled = []
    for po in sorted(Path(directory or TRANSLATIONS_DIR).glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        with mo.open("wb") as target:
            write_mo(target, catalog)
        compiled.append(str(po))
    _translations.cache_clear()
    return compiled


# --- the language of a page behind a link (a language code; its catalog decides the text) --

#: every language with a catalog, as a language code ("pt" reads pt_BR, "zh" zh_Hans_CN)
SUPPORTED_LANGUAGES = tuple(dict.fromkeys(code.split("_")[0] for code in SUPPORTED_LOCALES))


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
    return _PAGE_LOCALES.get(lang) or reader_locale(lang)


def accepted_language(header_languages: Any) -> str:
    """The best supported language in an ``Accept-Language`` header (werkzeug's
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
