"""The messages a decision flashes and the reasons a decision is refused: catalog
messages (translations/), keyed so that services stay free of presentation.

One signature in every ``texts`` module: ``text(key, lang=None, **params)``; ``lang`` is
the reader's language, the one being rendered when None (``app.language.translate``).
"""

from __future__ import annotations

from typing import Any

from app.language import N_, translate

MESSAGES: dict[str, str] = {
    "approved_n": N_("Approved %(n)s request(s). Your reports have been told."),
    "nothing_pending": N_("Nothing was pending."),
    "handed_over": N_("Handed over to %(name)s, who has been emailed the same page."),
    "saved": N_("Saved for %(name)s; they have been told."),
    "no_change": N_("No change for %(name)s."),
    "closed": N_(
        "Decisions for this program closed when the first term started on %(date)s. Please "
        "contact the local program lead of %(region)s if something needs to change."
    ),
    "closed_ended": N_(
        "This program ended on %(date)s: its requests can no longer be decided. Please "
        "contact the local program lead of %(region)s if something needs to change."
    ),
    "reason_too_long": N_("Please keep the reason under %(limit)s characters."),
    "decline_reason": N_("Please give a reason when you decline, so your report knows why."),
    "hours_range": N_(
        "Enter the hours per week you can give, a number above 0 and at most %(limit)s (for "
        "example 1.5)."
    ),
    "choose_action": N_("Choose approve, decline or propose other hours."),
    "left_program": N_("%(name)s has left the program: nothing to decide."),
    "unknown_colleague": N_(
        "We do not know anyone with that email address. Enter your colleague's work email "
        "address, as in the company directory."
    ),
    "not_yourself": N_("Choose a colleague other than yourself."),
    "nothing_to_hand_over": N_("There is nothing pending to hand over."),
}


def text(key: str, lang: str | None = None, **params: Any) -> str:
    """The message ``key`` in ``lang`` (the language being rendered when None)."""
    return translate(MESSAGES[key], lang, **params)
