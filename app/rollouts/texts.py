"""The learner's onboarding: the reasons a pledge is refused, the weekly call slot and
the reasons a roster row was refused, as catalog messages (translations/).

One signature in every ``texts`` module: ``text(key, lang=None, **params)``.
"""

from __future__ import annotations

from typing import Any

from app.calendar import weekday_names
from app.language import N_, current_locale, in_language, translate

MESSAGES: dict[str, str] = {
    "not_open": N_("This rollout is not open for commitments."),
    "goal_missing": N_("Write the goal you want to reach (a sentence is enough)."),
    "goal_too_long": N_("Keep your goal under 2,000 characters."),
    "buddy_unknown": N_(
        "We found nobody called “%(name)s” in this program. Type your buddy’s full name "
        "or work email, or leave the field empty and we pair you with someone."
    ),
    "buddy_ambiguous": N_(
        "More than one person in this program fits “%(name)s”: %(names)s. Type the full "
        "name or the work email of the one you mean."
    ),
    "slot_invalid": N_("Choose a day, a time and a time zone for your weekly study time."),
    "reason_missing": N_("Tell your local lead in a few words why you cannot take part."),
    "reason_too_long": N_("Keep your reason under 2,000 characters."),
}


#: examples shown beside the goal box: concrete, personal, reachable within the program
EXAMPLE_GOALS = (
    N_("Use what I learn in one real project of my team before the program ends."),
    N_("Be able to explain the basics to a new colleague in my own words."),
    N_("Pass the course's final assessment and share three lessons with my team."),
    N_("Feel confident enough to take part in discussions on the topic at work."),
)


def example_goals(lang: str | None = None) -> list[str]:
    """The example goals in ``lang``."""
    return [translate(goal, lang) for goal in EXAMPLE_GOALS]


def text(key: str, lang: str | None = None, **params: Any) -> str:
    """The message ``key`` in ``lang`` (the language being rendered when None)."""
    return translate(MESSAGES[key], lang, **params)


def call_slot(rollout: Any, lang: str | None = None) -> str:
    """The weekly call, e.g. "Thursdays at 16:00 (Europe/Berlin), 45 minutes"."""
    with in_language(lang):
        day = weekday_names(current_locale())[rollout.call_weekday]
        # TRANSLATORS: day is a weekday name; English adds an s to say every Thursday
        return translate(
            "%(day)ss at %(time)s (%(zone)s), %(minutes)s minutes",
            day=day,
            time=rollout.call_time.strftime("%H:%M"),
            zone=rollout.region.time_zone,
            minutes=rollout.call_duration_minutes,
        )
