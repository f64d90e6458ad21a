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

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale, UnknownLocaleError
from babel.dates import (
    format_date,
    format_datetime,
    format_time,
    get_datetime_format,
    get_day_names,
)
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations
from babel.units import format_unit
from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel, force_locale, refresh
from flask_babel import get_locale as _babel_locale
from flask_babel.speaklater import LazyString
from jinja2 import Environment, pass_context

#: Babel identifiers, as ``str(Locale.parse(...))`` spells them, which is also the folder
#: name under translations/. A language without a region where one form serves every
#: country (``de`` for de_DE, de_AT, de_CH); a region or script where the language has two
#: written standards: ``pt_BR`` (Brazilian, not European Portuguese) and ``zh_Hans_CN``
#: (Simplified Chinese: Babel canonicalises ``zh_CN`` to it, and it keeps ``zh_Hant_TW``
#: free for a Traditional catalog later).
#: core layer: nothing of Summit's is imported here, not even settings (import-linter)
PROJECT_ROOT = Path(__file__).resolve().parents[1]
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
    staff = g.get("staff")
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


# --- formatting: one set of filters ----------------------------------------------------
# A page shows the same figures on every load (dashboards: 60 percentages a page) and
# Babel parses locales and patterns on every call: each result is kept (bounded LRU).


@lru_cache(maxsize=128)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _aware(value: datetime) -> datetime:
    # timestamp columns hold UTC; a naive one is read as UTC, never as the server's zone
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@lru_cache(maxsize=8192)
def _datetime(value: datetime, fmt: str, zone: str, code: str) -> str:
    return format_datetime(value, fmt, tzinfo=ZoneInfo(zone), locale=_parse(code))


@lru_cache(maxsize=8192)
def _date(value: date, fmt: str, code: str) -> str:
    return format_date(value, fmt, locale=_parse(code))


@lru_cache(maxsize=8192)
def _time(value: time, fmt: str, code: str) -> str:
    return format_time(value, fmt, locale=_parse(code))


_HOURS = "#,##0.#"


@lru_cache(maxsize=8192)
def _percent(value: float, code: str) -> str:
    return format_percent(value, locale=_parse(code))  # the locale's pattern: 87 % in de


@lru_cache(maxsize=8192)
def _number(value: Any, code: str) -> str:
    return format_decimal(value, locale=_parse(code))


@lru_cache(maxsize=4096)
def _unit(value: float, unit: str, length: str, code: str) -> str:
    return format_unit(value, unit, length, format=_HOURS, locale=_parse(code))


def _legacy(fmt: str, tz: str | None) -> tuple[str, str | None]:
    # issue 23: staff pages still call local_datetime(zone, "short") (the old web order)
    # until they move to the catalogs; a zone name where the format goes is that order
    if fmt in _zones() and (tz is None or tz not in _zones()):
        return tz or "medium", fmt
    return fmt, tz


@lru_cache(maxsize=8192)
def _date_and_time(value: datetime, date_fmt: str, time_fmt: str, zone: str, code: str) -> str:
    # Babel's format_datetime gives both parts one length ("medium" shows seconds); this
    # joins a date and a time of their own lengths as the locale joins them
    locale = _parse(code)
    local = value.astimezone(ZoneInfo(zone))
    pattern = str(get_datetime_format(date_fmt, locale=locale)).replace("'", "")
    return pattern.replace("{0}", format_time(local, time_fmt, locale=locale)).replace(
        "{1}", format_date(local.date(), date_fmt, locale=locale)
    )


def local_datetime(
    value: datetime | None,
    format: str = "medium",
    tz: str | None = None,
    locale: str | None = None,
    *,
    fmt: str | None = None,
    time: str | None = None,
) -> str:
    """An instant in the reader's time zone (``tz``) and locale; "—" for none. ``time``
    ("short": no seconds) gives the time its own length beside a ``format`` date length:
    ``local_datetime("full", time="short")`` is "Thursday, 10 December 2026 at 11:00"."""
    if value is None:
        return "—"
    format, tz = _legacy(fmt or format, tz)
    zone, code = tz or current_time_zone(), locale or current_locale()
    if time is not None:
        return _date_and_time(_aware(value), format, time, zone, code)
    return _datetime(_aware(value), format, zone, code)


def local_date(
    value: date | datetime | None,
    format: str = "medium",
    tz: str | None = None,
    locale: str | None = None,
) -> str:
    """A calendar date; an instant is first converted to the reader's time zone."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = _aware(value).astimezone(ZoneInfo(tz or current_time_zone())).date()
    return _date(value, format, locale or current_locale())


def local_time(
    value: datetime | time | None,
    format: str = "short",
    tz: str | None = None,
    locale: str | None = None,
) -> str:
    """The time of day of an instant (in the reader's zone) or of a wall-clock time."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = _aware(value).astimezone(ZoneInfo(tz or current_time_zone())).time()
    return _time(value, format, locale or current_locale())


def number(value: Any, locale: str | None = None) -> str:
    if value is None:
        return "—"
    code = locale or current_locale()
    try:
        return _number(value, code)
    except TypeError:  # not hashable: format it as it is
        return format_decimal(value, locale=_parse(code))


def percent(value: float | None, locale: str | None = None) -> str:
    """0.87 → "87 %" (de), "87%" (en)."""
    return "—" if value is None else _percent(value, locale or current_locale())


def hours(value: float | None, length: str = "short", locale: str | None = None) -> str:
    """48 → "48 hr" (en), "48 Std." (de); 1.5 → "1,5 h" (fr); ``length``: short, long, narrow."""
    if value is None:
        return "—"
    return _unit(float(value), "duration-hour", length, locale or current_locale())


def duration(
    value: timedelta | float | None, length: str = "long", locale: str | None = None
) -> str:
    """A span: minutes (a number) or a timedelta; whole hours say hours ("2 hours"), the
    rest minutes ("90 minutes")."""
    if value is None:
        return "—"
    minutes = value.total_seconds() / 60 if isinstance(value, timedelta) else float(value)
    code = locale or current_locale()
    if minutes and minutes % 60 == 0:
        return _unit(minutes / 60, "duration-hour", length, code)
    return _unit(minutes, "duration-minute", length, code)


def weekday(value: int, width: str = "wide", locale: str | None = None) -> str:
    """A day of the week by number (0 is Monday, as ``date.weekday()``): "Thursday"."""
    return get_day_names(width, locale=_parse(locale or current_locale()))[int(value)]


FILTERS = {
    "local_datetime": local_datetime,
    "local_date": local_date,
    "local_time": local_time,
    "number": number,
    "percent": percent,
    "hours": hours,
    "duration": duration,
    "weekday": weekday,
}


def _at_render(function: Callable[..., str]) -> Callable[..., str]:
    """The filter for Jinja, which must call it when rendering: a pure filter on a literal
    (``{{ 0.5|percent }}``) is folded at compile time, in whichever locale compiled it."""

    @functools.wraps(function)
    @pass_context
    def at_render(_context: Any, value: Any, *args: Any, **kwargs: Any) -> str:
        return function(value, *args, **kwargs)

    return at_render


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


# --- pages kept per language (en, de, fr) until they move to the catalogs ---------------
# (issue 23: the staff and public pages are another session's; emails no longer use these)

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
