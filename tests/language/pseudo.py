"""A pseudo-locale made at test time from ``translations/messages.pot`` (never shipped).

Every message comes out accented, about 40 % longer and between ``⟦`` and ``⟧``::

    "Send the report"  →  "⟦Šéñð ţĥé ŕéþöŕţ ~~~~~~⟧"

Placeholders (``%(name)s``, ``%s``, ``{name}``), ``%%``, HTML tags and entities stay as
they are, so a translated message still formats and still is markup; plural messages get
every plural form of the locale. Text that reaches a reader with plain ASCII letters
where a message should be was not translated; a ``⟦`` without its ``⟧`` was cut.

The locale ids are CLDR ones Babel formats with (Babel has no ``en_XA`` / ``ar_XB``,
the pseudo-locales of Android and Chromium): ``en_001`` (World English, left to right)
and ``ar_001`` (Modern Standard Arabic, right to left). Their catalogs are served
through ``app.language.add_test_catalog``, the app's hook for a catalog outside
``translations/``; nothing of the app is patched. ``en_001`` stands in for English while it
is served, so text that falls back to English (no catalog, a fixed "en") shows up too.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.units import format_unit

from app.language import SUPPORTED_LOCALES, TRANSLATIONS_DIR

LTR = "en_001"
RTL = "ar_001"
OPEN, CLOSE = "⟦", "⟧"
_ACCENTED = dict(
    zip(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "àƀçðéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÀƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
        strict=True,
    )
)
#: every letter a pseudo message can hold (the marker of translated text)
PSEUDO_LETTERS = frozenset(_ACCENTED.values())
#: text that is right as it is in every language, and why (keep this list short)
ALLOWED = {
    "Summit",  # the product's name
    "Message-ID",  # the header's name, shown with the header in the dev mailbox
    "CSV", "ICS", "JSON", "PDF", "HTML", "xAPI", "LRS", "SMTP", "UTC",  # names of formats
    "Entra ID", "Microsoft", "Open edX", "Moodle", "LinkedIn Learning", "Coursera",
}  # fmt: skip
#: kept as they are: placeholders, %%, tags, entities
_KEEP = re.compile(r"%\([^)]+\)[#0 +-]*\d*(?:\.\d+)?[sdifr]|%[sdif%]|\{[^{}]*\}|<[^>]+>|&#?\w+;")


def pseudo(message: str) -> str:
    """``message`` accented, padded to about 140 % of its visible length, bracketed."""
    out, visible, at = [], 0, 0
    for kept in _KEEP.finditer(message):
        text = message[at : kept.start()]
        out.append(text.translate(str.maketrans(_ACCENTED)) + kept.group())
        visible += len(text)
        at = kept.end()
    tail = message[at:]
    out.append(tail.translate(str.maketrans(_ACCENTED)))
    visible += len(tail)
    padding = "~" * max(1, round(visible * 0.4) - 1)
    return f"{OPEN}{''.join(out)} {padding}{CLOSE}"


def build_catalog(locale: str, directory: Path) -> Path:
    """Write and compile (Babel) the pseudo catalog of ``locale`` under ``directory``."""
    with (TRANSLATIONS_DIR / "messages.pot").open("rb") as source:
        template = read_po(source)
    catalog = Catalog(locale=locale, fuzzy=False)
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, tuple | list):
            singular, plural = message.id[0], message.id[1]
            strings = tuple(
                pseudo(singular if n == 0 else plural) for n in range(catalog.num_plurals)
            )
            catalog.add(message.id, strings, context=message.context)
        else:
            catalog.add(message.id, pseudo(message.id), context=message.context)
    folder = directory / locale / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "messages.mo").open("wb") as target:
        write_mo(target, catalog)
    return folder


# --- what a reader sees, and what of it is not a message --------------------------------

_VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "label"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}  # fmt: skip
#: CSS that cuts text at a fixed size instead of letting it wrap
CLIPS = re.compile(
    r"text-overflow|line-clamp|overflow(?:-x)?\s*:\s*(?:hidden|clip)"
    r"|(?<![-\w])(?:width|height)\s*:\s*\d+(?:\.\d+)?(?:px|em|rem|ch)",
    re.IGNORECASE,
)
#: elements whose text is a fixed width when a style gives them one (a box may be sized)
_TEXT_ELEMENTS = {"a", "button", "label", "span", "th", "td", "li", "h1", "h2", "h3", "p",
                  "strong", "em", "option", "summary", "legend", "dt", "dd", "caption"}  # fmt: skip


class Page(HTMLParser):
    """The visible text runs of a page or an email, and what is cut or clipped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.runs: list[str] = []
        self.html_attributes: dict[str, str | None] = {}
        self.clipped: list[str] = []
        self.styles: list[str] = []
        self._stack: list[tuple[str, bool]] = []
        self._skip = 0
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.html_attributes = values
        for name in _VISIBLE_ATTRIBUTES & values.keys():
            self._run(values[name] or "")
        # an <input>'s value is its label; a <button>'s value is data sent, never shown
        if tag == "input" and values.get("type") in {"submit", "button", "reset"}:
            self._run(values.get("value") or "")
        self._in_style = tag == "style"
        if tag in {"script", "style", "code", "pre", "textarea"}:
            self._skip += 1
        if tag not in _VOID:
            style = values.get("style") or ""
            clips = bool(CLIPS.search(style)) and (
                tag in _TEXT_ELEMENTS or not re.search(r"(?<![-\w])width", style)
            )
            self._stack.append((tag, clips))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "code", "pre", "textarea"} and self._skip:
            self._skip -= 1
        self._in_style = False
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)
        if self._skip:
            return
        self._run(data)
        if (OPEN in data or PSEUDO_LETTERS & set(data)) and any(c for _t, c in self._stack):
            self.clipped.append(" ".join(data.split()))

    def _run(self, text: str) -> None:
        text = " ".join(text.split())
        if text:
            self.runs.append(text)


def read_page(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def balanced(text: str) -> bool:
    """Every ``⟦`` closed by its ``⟧``: nothing cut a message short."""
    depth = 0
    for char in text:
        depth += {OPEN: 1, CLOSE: -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


_SEGMENT = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")


#: links, addresses, file names and MIME types: what a program reads, not a sentence
_TECHNICAL = re.compile(
    r"https?://\S+|\S+@\S+|[\w.-]+\.(?:ics|csv|png|json)\b|\w+/[\w.+-]+;?|\w+=\w+,?"
    r"|\b[A-Z]{2}-[A-Z0-9]{1,3}\b"  # ISO 3166-2 (a region's holiday subdivision)
)


def untranslated(run: str, data: re.Pattern[str]) -> str:
    """What of a visible run is neither a pseudo message nor data: "" when all is."""
    run = _TECHNICAL.sub(" ", run)
    while _SEGMENT.search(run):
        run = _SEGMENT.sub(" ", run)
    if not re.search(r"[A-Za-z]{2}", run):
        return ""
    run = data.sub(" ", run)
    words = [w for w in re.split(r"\s+", run) if re.search(r"[A-Za-z]{2}", w)]
    return " ".join(words)


def data_pattern(values: set[str], locale: str) -> re.Pattern[str]:
    """The test's data (names, emails, titles) and what Babel writes for ``locale`` (month
    and day names, AM/PM) as whole words, longest first."""
    babel = Locale.parse(locale)
    names = {
        str(name)
        for table in (babel.months, babel.days)
        for context in table.values()
        for width in context.values()
        for name in width.values()
    } | {str(p) for w in babel.day_periods.values() for v in w.values() for p in v.values()}
    units = {
        re.sub(r"[\d.,\s]+", " ", format_unit(n, unit, length, locale=locale)).strip()
        for unit in ("duration-hour", "duration-minute", "duration-day", "duration-week")
        for length in ("long", "short", "narrow")
        for n in (1, 2)
    }
    # each language's name in that language, on the profile's choice of language
    languages = {
        name[:1].upper() + name[1:]
        for name in (Locale.parse(code).get_display_name(code) for code in SUPPORTED_LOCALES)
    }
    words = sorted(
        {v for v in values | names | units | languages | ALLOWED if v.strip()},
        key=len,
        reverse=True,
    )
    return re.compile("|".join(rf"(?<![\w@.-]){re.escape(w)}(?![\w@-])" for w in words))
