"""Text known to reach readers without the catalogs, found by tests/language/test_pseudo.py.

Page (endpoint) or email (kind) → the text left once messages and data are taken out. The
list only shrinks: the test fails on anything new, and on an entry that no longer occurs.
"""

from __future__ import annotations

KNOWN_UNTRANSLATED: dict[str, set[str]] = {}
