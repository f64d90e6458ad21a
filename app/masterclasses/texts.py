"""The learner's master-class pages: the refusals an RSVP meets, the names of the
answers and the badges, as catalog messages (translations/), keyed so that services
stay free of presentation. ``lang`` is the reader's language, the one being rendered
when None, as in every ``texts`` module.
"""

from __future__ import annotations

from typing import Any

from app.language import N_, in_language, pgettext, translate
from app.masterclasses.recognition import REGULAR_CALLS, Badge

MESSAGES: dict[str, str] = {
    "choose": N_("Choose whether you will come."),
    "closed": N_("This master class has already taken place: your answer was not recorded."),
}


def text(key: str, lang: str | None = None, **params: Any) -> str:
    """The message ``key`` in ``lang`` (the language being rendered when None)."""
    return translate(MESSAGES[key], lang, **params)


def status(value: str, lang: str | None = None) -> str:
    """The learner's answer (an ``InvitationStatus`` value) in ``lang``."""
    with in_language(lang):
        # "rsvp": a master-class answer ("declined" is not a manager's decline)
        names = {
            "invited": pgettext("rsvp", "not given yet"),
            "accepted": pgettext("rsvp", "accepted"),
            "waitlisted": pgettext(
                "rsvp", "on the waitlist: you will get an email if a place frees up"
            ),
            "declined": pgettext("rsvp", "declined"),
            "attended": pgettext("rsvp", "attended"),
            "no_show": pgettext("rsvp", "no show"),
        }
    return names.get(value, value.replace("_", " "))


def badge(item: Badge, lang: str | None = None) -> Badge:
    """``item`` with its label and description in ``lang``."""
    with in_language(lang):
        labels = {
            "finisher": (pgettext("badge", "Finisher"), translate("Completed the program")),
            "steady": (
                pgettext("badge", "Steady pace"),
                translate("On track at every term review"),
            ),
            "regular": (
                pgettext("badge", "Regular"),
                translate("Attended %(calls)s or more expert calls", calls=REGULAR_CALLS),
            ),
            "goal": (
                pgettext("badge", "Goal reached"),
                translate("Reached the goal they set at the start"),
            ),
            "masterclass": (
                pgettext("badge", "Master class"),
                translate("Attended a master class"),
            ),
        }
    label, description = labels.get(item.key, (item.label, item.description))
    return Badge(item.key, label, description)


def badges(items: Any, lang: str | None = None) -> list[Badge]:
    return [badge(b, lang) for b in items]
