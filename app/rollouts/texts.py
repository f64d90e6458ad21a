"""The learner's onboarding in the learner's language (en, de, fr): the commit page, the
reasons a pledge is refused and the weekly call slot (the emails have per-language
templates in ``email_templates/rollouts/<kind>/<lang>/``).
"""

from __future__ import annotations

from typing import Any

from app.calendar import weekday_names

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "not_open": "This rollout is not open for commitments.",
        "goal_missing": "Write the goal you want to reach (a sentence is enough).",
        "goal_too_long": "Keep your goal under 2,000 characters.",
    },
    "de": {
        "not_open": "Für dieses Programm sind keine Zusagen mehr möglich.",
        "goal_missing": "Schreiben Sie das Ziel auf, das Sie erreichen möchten (ein Satz genügt).",
        "goal_too_long": "Bitte fassen Sie Ihr Ziel in weniger als 2.000 Zeichen.",
    },
    "fr": {
        "not_open": "Ce programme n'accepte plus d'engagements.",
        "goal_missing": "Écrivez l'objectif que vous voulez atteindre (une phrase suffit).",
        "goal_too_long": "Merci de limiter votre objectif à 2 000 caractères.",
    },
}

_SLOT = {
    "en": "{day}s at {time} ({zone}), {minutes} minutes",
    "de": "{day}s um {time} Uhr ({zone}), {minutes} Minuten",
    "fr": "le {day} à {time} ({zone}), {minutes} minutes",
}


def text(key: str, lang: str) -> str:
    return MESSAGES.get(lang, MESSAGES["en"]).get(key, MESSAGES["en"][key])


def call_slot(rollout: Any, lang: str = "en") -> str:
    """The weekly call, e.g. "Thursdays at 16:00 (Europe/Berlin), 45 minutes"."""
    pattern = _SLOT.get(lang, _SLOT["en"])
    day = weekday_names(lang if lang in _SLOT else "en")[rollout.call_weekday]
    return pattern.format(
        day=day,
        time=rollout.call_time.strftime("%H:%M"),
        zone=rollout.region.time_zone,
        minutes=rollout.call_duration_minutes,
    )
