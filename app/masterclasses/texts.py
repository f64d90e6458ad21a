"""The learner's master-class pages in the learner's language (en, de, fr), like the emails:
the RSVP page, the leaderboard opt-in and the expired-link page.

The pages are templates per language (``masterclasses/<lang>/rsvp.html``, the English one
as the fallback); the refusals an RSVP meets, the names of the answers and the badges are
here, keyed, so services stay free of presentation. Staff pages stay English.
"""

from __future__ import annotations

from typing import Any

from app.masterclasses.recognition import REGULAR_CALLS, Badge

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "choose": "Choose whether you will come.",
        "closed": "This master class has already taken place: your answer was not recorded.",
    },
    "de": {
        "choose": "Bitte wählen Sie, ob Sie kommen.",
        "closed": (
            "Diese Masterclass hat bereits stattgefunden: Ihre Antwort wurde nicht gespeichert."
        ),
    },
    "fr": {
        "choose": "Indiquez si vous venez.",
        "closed": ("Cette master class a déjà eu lieu : votre réponse n'a pas été enregistrée."),
    },
}

#: an invitation's answer, as the learner reads it on the RSVP page
STATUSES: dict[str, dict[str, str]] = {
    "en": {
        "invited": "not given yet",
        "accepted": "accepted",
        "waitlisted": "on the waitlist: you will get an email if a place frees up",
        "declined": "declined",
        "attended": "attended",
        "no_show": "no show",
    },
    "de": {
        "invited": "noch nicht gegeben",
        "accepted": "zugesagt",
        "waitlisted": "auf der Warteliste: Sie erhalten eine E-Mail, wenn ein Platz frei wird",
        "declined": "abgesagt",
        "attended": "teilgenommen",
        "no_show": "nicht erschienen",
    },
    "fr": {
        "invited": "pas encore donnée",
        "accepted": "acceptée",
        "waitlisted": "sur liste d'attente : vous recevrez un e-mail si une place se libère",
        "declined": "déclinée",
        "attended": "présent·e",
        "no_show": "absent·e",
    },
}

#: badge key → (label, description); English is ``recognition.BADGES`` itself
BADGES: dict[str, dict[str, tuple[str, str]]] = {
    "de": {
        "finisher": ("Abschluss", "Hat das Programm abgeschlossen"),
        "steady": ("Im Plan", "Bei jeder Abschnittsprüfung im Plan"),
        "regular": ("Stammgast", f"Hat an {REGULAR_CALLS} oder mehr Expertencalls teilgenommen"),
        "goal": ("Ziel erreicht", "Hat das zu Beginn gesetzte Ziel erreicht"),
        "masterclass": ("Masterclass", "Hat an einer Masterclass teilgenommen"),
    },
    "fr": {
        "finisher": ("Diplômé·e", "A terminé le programme"),
        "steady": ("Rythme régulier", "Dans les temps à chaque bilan de période"),
        "regular": ("Habitué·e", f"A assisté à {REGULAR_CALLS} appels d'experts ou plus"),
        "goal": ("Objectif atteint", "A atteint l'objectif fixé au départ"),
        "masterclass": ("Master class", "A assisté à une master class"),
    },
}


def text(key: str, lang: str) -> str:
    return MESSAGES.get(lang, MESSAGES["en"]).get(key, MESSAGES["en"][key])


def status(value: str, lang: str) -> str:
    """The learner's answer (an ``InvitationStatus`` value) in ``lang``."""
    names = STATUSES.get(lang, STATUSES["en"])
    return names.get(value, STATUSES["en"].get(value, value.replace("_", " ")))


def badge(item: Badge, lang: str) -> Badge:
    """``item`` with its label and description in ``lang`` (itself in English)."""
    label, description = BADGES.get(lang, {}).get(item.key, (item.label, item.description))
    return Badge(item.key, label, description)


def badges(items: Any, lang: str) -> list[Badge]:
    return [badge(b, lang) for b in items]
