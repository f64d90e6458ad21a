"""Terms: at-risk nudges, buddy sign-off, term close and the review of free-rider candidates.

Scheduled work (region-local time; see each ``due_*``):
- ``due_at_risk_nudges`` daily at 09:00: learners behind pace (or missing calls) mid-term;
- ``due_buddy_signoffs`` daily at 09:00: after a term's last day, ask each buddy to confirm;
- ``due_term_closes`` daily at 06:00: close terms ended more than the grace period ago.
"""

from app.terms.buddies import confirm_buddy_term, due_buddy_signoffs
from app.terms.closing import TermCloseResult, close_term, due_term_closes
from app.terms.common import (
    BUDDY_PURPOSE,
    ReviewError,
    ensure_reviews,
    grace_days,
    local_today,
    program_term,
)
from app.terms.nudges import due_at_risk_nudges
from app.terms.review import (
    TermOutcome,
    confirm_free_rider,
    excuse,
    review_lists,
    tell_sponsors_if_reviewed,
    term_outcome,
)

__all__ = [
    "BUDDY_PURPOSE",
    "ReviewError",
    "TermCloseResult",
    "TermOutcome",
    "close_term",
    "confirm_buddy_term",
    "confirm_free_rider",
    "due_at_risk_nudges",
    "due_buddy_signoffs",
    "due_term_closes",
    "ensure_reviews",
    "excuse",
    "grace_days",
    "local_today",
    "program_term",
    "review_lists",
    "tell_sponsors_if_reviewed",
    "term_outcome",
]
