"""The one error every xAPI resource answers with: an HTTP status and the reason, in English
(the reader is a course platform's developer, as in every LRS)."""

from __future__ import annotations


class XapiError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
