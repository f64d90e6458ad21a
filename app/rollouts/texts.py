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
}


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


#: why a roster row was refused (or what was noted on a row imported), by reason code;
#: ``%(line)s`` is another line of the file
ROSTER_REASONS: dict[str, str] = {
    "missing_id": N_("missing employee id"),
    "missing_email": N_("missing email"),
    "invalid_email": N_("invalid email"),
    "missing_name": N_("missing name"),
    "learner_yes_no": N_("learner must be yes or no"),
    "unknown_locale": N_("unknown locale (write e.g. de_DE or fr)"),
    "unknown_zone": N_("unknown time zone (write e.g. Europe/Berlin)"),
    "dup_id": N_("duplicate employee id (first on line %(line)s)"),
    "dup_email": N_("duplicate email (first on line %(line)s)"),
    "region_mismatch": N_(
        "region mismatch: this employee belongs to another region; ask that region's lead or HR "
        "to move them"
    ),
    "email_taken": N_("email already belongs to another employee"),
    "unknown_manager": N_(
        "unknown manager (not in this file, not known to Summit): give the manager's email and "
        "Summit adds them"
    ),
    "manager_ambiguous": N_(
        "several people have this manager's name: give the manager's employee id or email"
    ),
    "manager_cycle": N_("manager cycle (this person is their own manager through others)"),
    "manager_refused": N_(
        "imported without a manager for now: the manager's own row (line %(line)s) was refused"
    ),
    "excluded": N_("left out by the filter"),
}


def roster_reason(code: str, lang: str | None = None) -> str:
    """A reason code of the roster import (``"dup_id|4"``) in ``lang``."""
    key, _, arg = (code or "").partition("|")
    if key not in ROSTER_REASONS:
        return code  # a reason stored before reason codes: already a sentence
    return translate(ROSTER_REASONS[key], lang, line=arg)
