"""Pace: how many modules a learner should have done by a given day (pro rata within a term).

Requirements accumulate: by the end of term N a learner must have completed every
module required by terms 1..N. Within a term, the modules new to it are expected
pro rata to the days elapsed, rounded down, so the whole term's requirement is due
only once its last day is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.programs.models import Program, Term


@dataclass(frozen=True)
class TermPace:
    term: Term
    #: module ids required by the end of this term (this term's and every earlier term's)
    required_ids: frozenset[int]
    #: how many of them were already due at the end of the previous term
    previous_count: int

    @property
    def required_count(self) -> int:
        return len(self.required_ids)

    def expected_by(self, day: date) -> int:
        """Modules that should be complete by the start of ``day`` (the region's local date)."""
        length = (self.term.ends_on - self.term.starts_on).days + 1
        elapsed = min(max((day - self.term.starts_on).days, 0), length)
        new = self.required_count - self.previous_count
        return self.previous_count + (new * elapsed) // length


def pace_for(program: Program, term: Term) -> TermPace:
    """The cumulative requirement of ``term`` within ``program``."""
    required: set[int] = set()
    previous = 0
    for t in sorted(program.terms, key=lambda t: t.number):
        if t.number == term.number:
            previous = len(required)
        required |= {m.id for m in t.required_modules}
        if t.number == term.number:
            break
    return TermPace(term=term, required_ids=frozenset(required), previous_count=previous)


def current_term(program: Program, day: date) -> Term | None:
    """The term running on ``day``, if any."""
    for term in program.terms:
        if term.starts_on <= day <= term.ends_on:
            return term
    return None
