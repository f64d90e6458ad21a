"""A roster file refused as a whole."""

from __future__ import annotations

from typing import Any


class UnreadableRoster(ValueError):
    """The file cannot be read at all; the reason says what to do.

    ``code`` and ``params`` name the reason for :mod:`app.roster.texts`, which
    says it in the lead's language on the web page; the message is the English one.
    """

    def __init__(self, message: str, code: str = "", **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params
