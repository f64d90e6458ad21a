"""The catalogs stay in step with the code: messages.pot is what the sources mark, every
shipped .po has exactly its messages, and German and French translate all of them."""

from __future__ import annotations

import re
from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from app.language import SUPPORTED_LOCALES, TRANSLATIONS_DIR
from app.settings import PROJECT_ROOT

#: keywords of `make messages` (Babel's defaults, N_ included, and ours)
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "N_": None,
    "lazy_gettext": None,
    "translate": None,
}


def _ignored_dirs() -> Callable[[str], bool]:
    """The folders `make messages` skips (MESSAGES_IGNORE_DIRS): pybabel's default would
    also skip every folder starting with "_", and with it the email layout."""
    line = re.search(
        r"^MESSAGES_IGNORE_DIRS = (.*)$", (PROJECT_ROOT / "Makefile").read_text(), re.M
    )
    assert line, "the Makefile names the folders extraction skips"
    patterns = line.group(1).split()
    return lambda path: not any(fnmatch(Path(path).name, p) for p in patterns)


def _read(path: Path):
    with path.open("rb") as source:
        return read_po(source)


def _ids(catalog) -> set[tuple[str | None, str]]:
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}


@pytest.fixture(scope="module")
def template():
    return _read(TRANSLATIONS_DIR / "messages.pot")


def test_messages_pot_is_what_the_sources_mark(template):
    with (TRANSLATIONS_DIR / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {
        (context, message if isinstance(message, str) else message[0])
        for _file, _line, message, _comments, context in extract_from_dir(
            str(PROJECT_ROOT),
            method_map,
            options_map,
            keywords=KEYWORDS,
            directory_filter=_ignored_dirs(),
        )
    }
    assert found == _ids(template), "run `make messages` and commit translations/"


@pytest.mark.parametrize("locale", [loc for loc in SUPPORTED_LOCALES if loc != "en"])
def test_each_catalog_has_exactly_the_template_messages(template, locale):
    catalog = _read(TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po")
    missing = _ids(template) - _ids(catalog)
    stale = _ids(catalog) - _ids(template)
    assert not missing and not stale, (sorted(missing)[:5], sorted(stale)[:5])


SHIPPED = [loc for loc in SUPPORTED_LOCALES if loc != "en"]
#: a placeholder as gettext and {% trans %} write it: %(name)s, %(num)d
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.mark.parametrize("locale", SHIPPED)
def test_every_shipped_language_translates_every_message(template, locale):
    catalog = _read(TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po")
    untranslated = [
        m.id
        for m in catalog
        if m.id and not all(m.string if isinstance(m.string, tuple) else (m.string,))
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


@pytest.mark.parametrize("locale", SHIPPED)
def test_translations_keep_the_placeholders(template, locale):
    """A translation that drops or invents a %(name)s fails at render (KeyError) or shows
    the wrong value: each keeps the message's placeholders (a plural form may leave out
    the count, as Japanese and Chinese do, but never invents one)."""
    catalog = _read(TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po")
    wrong = []
    for m in catalog:
        if not m.id:
            continue
        if isinstance(m.id, tuple):
            known = {n for i in m.id for n in PLACEHOLDER.findall(i)}
            wrong += [(m.id[0], f) for f in m.string if set(PLACEHOLDER.findall(f)) - known]
        elif set(PLACEHOLDER.findall(m.string)) != set(PLACEHOLDER.findall(m.id)):
            wrong.append((m.id, m.string))
    assert wrong == []
