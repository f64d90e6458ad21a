"""The one shape every export reader yields, and what a reader may know beyond the rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo


class FormatError(ValueError):
    """The file is not in the format asked for (or in none we know).

    ``code`` (``app.progress.texts``: ``"wrong_format|moodle|openedx"``) says why in words a
    lead reads in their language; the message is for logs and the command line.
    """

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code

    @property
    def stored(self) -> str:
        """What an import keeps of it: the code when there is one, else the message."""
        return self.code or str(self)


class ProgressRecord(NamedTuple):
    """One learner's state in one provider unit (a tuple: the bulk path makes millions)."""

    #: an email (lower-case) or an employee id, as ``learner_kind`` says
    learner: str
    learner_kind: str  # "email" | "employee_id"
    unit: str
    #: 0–100; a unit attempted with nothing to show for it yet is 0 and not completed
    percent: float
    completed: bool
    #: None: the import's own time stands in (the export's generation time)
    observed_at: datetime | None


@dataclass
class ReadContext:
    """What a reader may need beyond the rows."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    #: the export's generation time, when the file says nothing per row
    observed_at: datetime | None = None
    #: Moodle's localised words (the region's own first); empty: Summit's en/de/fr
    moodle_profiles: tuple[Any, ...] = ()
    #: for the generic format: which column means what (see ``read_generic``)
    mapping: dict[str, Any] = field(default_factory=dict)
    #: whether a unit name maps to a module (or is ignored on purpose), where a reader must
    #: choose between readings of a header (Open edX problem titles holding " - ")
    known_unit: Callable[[str], bool] | None = None


def learner(email: str, employee_id: str = "") -> tuple[str, str] | None:
    """(key, kind) of a row's learner: the email when there is one, else the employee id."""
    if email.strip():
        return email.strip().lower(), "email"
    if employee_id.strip():
        return employee_id.strip(), "employee_id"
    return None
