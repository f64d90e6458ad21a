"""Which locale and time zone a reader gets, and gettext in it (catalogs under translations/)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations, Translations
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel, force_locale, refresh
from flask_babel import get_locale as _babel_locale
from flask_babel.speaklater import LazyString

#: Babel identifiers, as ``str(Locale.parse(...))`` spells them, which is also the folder
#: name under translations/. A language without a region where one form serves every
#: country (``de`` for de_DE, de_AT, de_CH); a region or script where the language has two
#: written standards: ``pt_BR`` (Brazilian, not European Portuguese) and ``zh_Hans_CN``
#: (Simplified Chinese: Babel canonicalises ``zh_CN`` to it, and it keeps ``zh_Hant_TW``
#: free for a Traditional catalog later).
#: core layer: nothing of Summit's is imported here, not even settings (import-linter)
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SUPPORTED_LOCALES = ("en", "de", "fr", "es", "it", "pt_BR", "pl", "nl", "ja", "zh_Hans_CN")
DEFAULT_LOCALE = "en"
DEFAULT_TIME_ZONE = "UTC"
TRANSLATIONS_DIR = PROJECT_ROOT / "translations"
DOMAIN = "messages"

#: the locale and time zone forced for what is rendered now (an email in a job)
_forced: ContextVar[tuple[str, str | None] | None] = ContextVar("summit_reader", default=None)
#: test catalogs (a pseudo-locale) beside the shipped ones: language → catalog folder id
_extra_catalogs: dict[str, tuple[str, str]] = {}

#: Flask-Babel; Jinja is set up here (one set of filters for pages and emails), not by it
babel = Babel(configure_jinja=False)


# --- which locale a reader gets -------------------------------------------------------


@lru_cache(maxsize=256)
def _parse(code: str) -> Locale | None:
    try:
        return Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None


@lru_cache(maxsize=1)
def _languages() -> dict[str, str]:
    """Language → catalog id, for every locale Summit has texts for: the shipped ones and
    any other catalog folder under translations/ (a new language is only its catalog)."""
    codes = [*SUPPORTED_LOCALES]
    if TRANSLATIONS_DIR.is_dir():
        codes += sorted(
            folder.name
            for folder in TRANSLATIONS_DIR.iterdir()
            if (folder / "LC_MESSAGES" / f"{DOMAIN}.po").exists()
        )
    found: dict[str, str] = {}
    for code in codes:
        parsed = _parse(code)
        if parsed is not None:
            found.setdefault(str(parsed.language), code)
    found.update({lang: code for lang, (code, _) in _extra_catalogs.items()})
    return found


def supported(code: str | None) -> str | None:
    """``code`` as a Babel identifier ("de-AT" → "de_AT", "zh_CN" → "zh_Hans_CN") when
    Summit writes its language, else None."""
    parsed = _parse(code) if code else None
    if parsed is None or parsed.language not in _languages():
        return None
    return str(parsed)


def reader_locale(*candidates: str | None) -> str:
    """The first candidate in a language Summit writes, English otherwise. A person:
    ``reader_locale(person.locale, region.locale)``."""
    for code in candidates:
        found = supported(code)
        if found:
            return found
    return DEFAULT_LOCALE


def person_locale(person: Any, region: Any = None) -> str:
    """The locale Summit writes to a person in: their own, else their region's, else en."""
    if region is None:
        region = getattr(person, "region", None)
    return reader_locale(getattr(person, "locale", None), getattr(region, "locale", None))


def language_of(*candidates: str | None) -> str:
    """The language ("de", "ja") Summit writes in for the first candidate locale it writes,
    as ``reader_locale``: a person is ``language_of(person.locale, region.locale)``."""
    return reader_locale(*candidates).split("_")[0]


def accepted_locale(header_languages: Iterable[tuple[str, float]]) -> str | None:
    """The best supported entry of an ``Accept-Language`` header (werkzeug's
    ``request.accept_languages``, already in quality order), or None."""
    for value, quality in header_languages:
        if quality > 0 and value != "*":
            found = supported(value)
            if found:
                return found
    return None


def staff_locale(
    preferred: str | None, header_languages: Iterable[tuple[str, float]], region_locale: str | None
) -> str:
    """A staff member's locale: their profile preference, then the browser, then the region."""
    return supported(preferred) or accepted_locale(header_languages) or reader_locale(region_locale)


def catalog_id(locale: str) -> str:
    """The catalog folder that holds ``locale``'s texts ("de_AT" → "de")."""
    parsed = _parse(locale)
    return _languages().get(str(parsed.language), DEFAULT_LOCALE) if parsed else DEFAULT_LOCALE


def text_direction(locale: str | None = None) -> str:
    """``rtl`` or ``ltr`` for the ``dir`` attribute (Babel's CLDR data)."""
    parsed = _parse(locale or current_locale())
    return parsed.text_direction if parsed else "ltr"


def html_lang(locale: str | None = None) -> str:
    """The BCP 47 tag for the ``lang`` attribute ("pt_BR" → "pt-BR")."""
    return (locale or current_locale()).replace("_", "-")


# --- the locale and time zone of what is being rendered now ----------------------------


def current_locale() -> str:
    """The forced reader's locale, else the request's (Flask-Babel), else English."""
    forced = _forced.get()
    if forced is not None:
        return forced[0]
    if has_app_context() and "babel" in _app_extensions():
        return str(_babel_locale() or DEFAULT_LOCALE)
    return DEFAULT_LOCALE


def current_time_zone() -> str:
    forced = _forced.get()
    if forced is not None and forced[1]:
        return forced[1]
    if has_app_context():
        return _select_time_zone()
    return DEFAULT_TIME_ZONE


@contextlib.contextmanager
def force_reader(locale: str | None, time_zone: str | None = None) -> Iterator[str]:
    """Render for one reader: their locale (made supported, see ``reader_locale``) and the
    time zone dates are shown in. Works in a job, a request or no app at all."""
    code = reader_locale(locale)
    token = _forced.set((code, time_zone))
    try:
        if has_app_context():
            with force_locale(code):
                yield code
        else:
            yield code
    finally:
        _forced.reset(token)


def use_for_request(locale: str | None, time_zone: str | None = None) -> None:
    """A page for one person (behind a signed link) speaks that person's language."""
    g.reader_locale = reader_locale(locale)
    g.reader_time_zone = time_zone
    refresh()


def speak_to(person: Any = None, *, locale: str | None = None) -> str:
    """A page written to one person (behind their signed link) declares it at its top,
    before any text: ``{% set reader = speak_to(person) %}``. The rest of the page is in
    their locale (their own, else their region's) and their time zone, whoever opens the
    link. ``locale``, when given, is the one the route chose for the page's other texts
    (``page_lang``): the page stays in one language. Returns the locale."""
    region = getattr(person, "region", None)
    if not locale and person is not None:
        locale = person_locale(person, region)
    zone = getattr(person, "time_zone", None) or getattr(region, "time_zone", None)
    use_for_request(locale, zone)
    return str(g.reader_locale)


def _app_extensions() -> dict[str, Any]:
    return current_app.extensions


def _select_locale() -> str:
    if g.get("reader_locale"):
        return g.reader_locale
    region = g.get("region")
    region_locale = getattr(region, "locale", None)
    if not has_request_context():
        return reader_locale(region_locale)
    # the signed-in staff member (``app.auth.access``: the identity of every request, the
    # full StaffUser where a view loaded it)
    staff = g.get("staff") or g.get("identity")
    return staff_locale(getattr(staff, "locale", None), request.accept_languages, region_locale)


def _select_time_zone() -> str:
    if g.get("reader_time_zone"):
        return g.reader_time_zone
    return getattr(g.get("region"), "time_zone", None) or DEFAULT_TIME_ZONE


# --- gettext ---------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _translations(catalog: str) -> NullTranslations:
    directory = _extra_catalogs.get(catalog.split("_")[0], (None, str(TRANSLATIONS_DIR)))[1]
    if catalog == DEFAULT_LOCALE:
        return NullTranslations()
    return Translations.load(directory, [catalog], DOMAIN)


def translations(locale: str | None = None) -> NullTranslations:
    return _translations(catalog_id(locale or current_locale()))


def gettext(string: str, /, **variables: Any) -> str:
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, /, **variables: Any) -> str:
    """The plural form for ``n``; ``%(num)s`` is ``n`` unless given (a formatted one)."""
    variables.setdefault("num", n)
    return translations().ungettext(singular, plural, n) % variables


def pgettext(context: str, string: str, /, **variables: Any) -> str:
    text = translations().upgettext(context, string)
    return text % variables if variables else text


def in_language(lang: str | None) -> contextlib.AbstractContextManager[Any]:
    """Render in ``lang`` (a locale or a language) if given, else as now."""
    return force_reader(lang) if lang else contextlib.nullcontext()


def translate(message: str, lang: str | None = None, /, **params: Any) -> str:
    """A catalog message in ``lang`` (the language being rendered when None): the one
    signature of every ``texts`` module, ``text(key, lang=None, **params)``."""
    with in_language(lang):
        return gettext(message, **params)


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """For texts defined at import (form labels): translated when shown."""
    return LazyString(gettext, string, **variables)


_ = gettext


def N_(string: str) -> str:
    """Marks a message for extraction where it is defined; ``gettext`` it where shown."""
    return string


def add_test_catalog(language: str, catalog: str, directory: str) -> None:
    """Serve ``language`` from a catalog outside translations/ (the pseudo-locale tests)."""
    _extra_catalogs[language] = (catalog, directory)
    _translations.cache_clear()
    _languages.cache_clear()


def remove_test_catalog(language: str) -> None:
    _extra_catalogs.pop(language, None)
    _translations.cache_clear()
    _languages.cache_clear()
