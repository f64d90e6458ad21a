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
    {{ week_end|day_month }}                        6 Dec, 6. Dez., 12月6日 (a chart's axis)
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from jinja2 import Environment

from app.language.formatting import (
    FILTERS,
    _at_render,
    day_month,
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
    language_of,
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
    "day_month",
    "duration",
    "force_reader",
    "gettext",
    "hours",
    "html_lang",
    "in_language",
    "language_name",
    "language_of",
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


def babel_locale(locale: str | None) -> str:
    """The Babel spelling of ``locale`` ("de-DE" → "de_DE"), English when there is none
    (what the outbox stores beside an email)."""
    if not locale:
        return "en"
    return locale.replace("-", "_")
