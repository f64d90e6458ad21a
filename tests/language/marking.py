"""Finds the visible text of a page template that is not marked for translation.

What a reader sees of a template is its HTML text and its ``title``, ``placeholder``,
``aria-label``, ``alt`` and ``label`` attributes. Marked text sits inside
``{% trans %}…{% endtrans %}`` or ``_()`` / ``gettext()`` / ``ngettext()``; Jinja
expressions print data (names, figures) and are skipped, except for string literals
they would print as they are (``{{ x or 'Online' }}``). Text inside ``<code>`` is
literal (setting names, commands) and stays as it is.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
_TRANS = re.compile(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", re.DOTALL)
_CALLS = re.compile(r"\b(?:_|gettext|ngettext|lazy_gettext|pgettext|npgettext)\(")
_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
_LITERAL = re.compile(r"""(['"])((?:(?!\1).)*)\1""")
#: a literal that reads as words: two words, or a capitalised word ("Online")
_WORDS = re.compile(r"[A-Za-z]+[,.:;!?]?\s+[A-Za-z]|^[A-Z][a-z]{2,}$")
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_ATTRIBUTE_TEXT = re.compile(r'(\s*[\w-]+="[^"]*")+\s*')
_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "label"}
#: words every language writes the same way
_NAMES = {"Summit", "HTML", "Message-ID", "(https://…)", "approval."}


def _without_calls(expr: str) -> str:
    """``expr`` with the arguments of translation calls removed (they are marked)."""
    out, i = [], 0
    for m in _CALLS.finditer(expr):
        if m.start() < i:
            continue
        out.append(expr[i : m.end()])
        depth, j = 1, m.end()
        while j < len(expr) and depth:
            depth += {"(": 1, ")": -1}.get(expr[j], 0)
            j += 1
        i = j
    out.append(expr[i:])
    return "".join(out)


def unmarked_literals(source: str) -> list[str]:
    """String literals in Jinja tags that read as words and are not marked."""
    found = []
    for tag in _TAG.findall(_TRANS.sub("", _COMMENT.sub("", source))):
        body = _without_calls(tag)
        if re.match(r"\{%-?\s*(extends|include|import|from|block)\b", body):
            continue
        for _quote, text in _LITERAL.findall(body):
            if _WORDS.search(text) and "%" not in text and "/" not in text:
                found.append(text)
    return found


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"code", "script", "style"}:
            self._skip += 1
        for name, value in attrs:
            if name in _ATTRIBUTES and value:
                self._check(value)
        if tag == "input" and dict(attrs).get("type") in {"submit", "button"}:
            self._check(dict(attrs).get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"code", "script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._check(data)

    def _check(self, text: str) -> None:
        text = " ".join(text.split())
        if _ATTRIBUTE_TEXT.fullmatch(text):  # a macro that prints attributes
            return
        if _LETTERS.search(" ".join(w for w in text.split() if w not in _NAMES)):
            self.found.append(text)


def unmarked_text(source: str) -> list[str]:
    """Visible text of a template that is not marked, and unmarked printed literals."""
    stripped = _TAG.sub(" ", _TRANS.sub(" ", _COMMENT.sub("", source)))
    parser = _Text()
    parser.feed(stripped)
    parser.close()
    return parser.found + unmarked_literals(source)
