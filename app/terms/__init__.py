"""Terms: at-risk nudges (``nudges``), buddy sign-off (``buddies``), term close (``closing``)
and the review of free-rider candidates (``review``); what they share is in ``common``.

Scheduled work (region-local time; see each ``due_*``):
- ``due_at_risk_nudges`` daily at 09:00: learners behind pace (or missing calls) mid-term;
- ``due_buddy_signoffs`` daily at 09:00: after a term's last day, ask each buddy to confirm;
- ``due_term_closes`` daily at 06:00: close terms ended more than the grace period ago.
"""
