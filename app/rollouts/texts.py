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


#: why a roster row was refused (or what was noted on a row imported), by reason code;
#: ``{line}`` is another line of the file
ROSTER_REASONS: dict[str, dict[str, str]] = {
    "en": {
        "missing_id": "missing employee id",
        "missing_email": "missing email",
        "invalid_email": "invalid email",
        "missing_name": "missing name",
        "learner_yes_no": "learner must be yes or no",
        "unknown_locale": "unknown locale (write e.g. de_DE or fr)",
        "unknown_zone": "unknown time zone (write e.g. Europe/Berlin)",
        "dup_id": "duplicate employee id (first on line {line})",
        "dup_email": "duplicate email (first on line {line})",
        "region_mismatch": "region mismatch: this employee belongs to another region; ask "
        "that region's lead or HR to move them",
        "email_taken": "email already belongs to another employee",
        "unknown_manager": "unknown manager (not in this file, not known to Summit): give "
        "the manager's email and Summit adds them",
        "manager_ambiguous": "several people have this manager's name: give the manager's "
        "employee id or email",
        "manager_cycle": "manager cycle (this person is their own manager through others)",
        "manager_refused": "imported without a manager for now: the manager's own row (line "
        "{line}) was refused",
        "excluded": "left out by the filter",
    },
    "de": {
        "missing_id": "Personalnummer fehlt",
        "missing_email": "E-Mail-Adresse fehlt",
        "invalid_email": "ungültige E-Mail-Adresse",
        "missing_name": "Name fehlt",
        "learner_yes_no": "Teilnehmer muss ja oder nein sein",
        "unknown_locale": "unbekannte Sprache (z. B. de_DE oder fr)",
        "unknown_zone": "unbekannte Zeitzone (z. B. Europe/Berlin)",
        "dup_id": "doppelte Personalnummer (zuerst in Zeile {line})",
        "dup_email": "doppelte E-Mail-Adresse (zuerst in Zeile {line})",
        "region_mismatch": "andere Region: diese Person gehört zu einer anderen Region; "
        "bitten Sie deren Leitung oder HR, sie zu verschieben",
        "email_taken": "E-Mail-Adresse gehört bereits einer anderen Person",
        "unknown_manager": "unbekannte Führungskraft (nicht in der Datei, Summit unbekannt): "
        "geben Sie ihre E-Mail-Adresse an, dann legt Summit sie an",
        "manager_ambiguous": "mehrere Personen tragen den Namen dieser Führungskraft: geben "
        "Sie Personalnummer oder E-Mail-Adresse an",
        "manager_cycle": "Kreis von Führungskräften (die Person ist über andere ihre eigene "
        "Führungskraft)",
        "manager_refused": "vorerst ohne Führungskraft übernommen: die Zeile der "
        "Führungskraft (Zeile {line}) wurde abgelehnt",
        "excluded": "durch den Filter ausgeschlossen",
    },
    "fr": {
        "missing_id": "matricule manquant",
        "missing_email": "adresse e-mail manquante",
        "invalid_email": "adresse e-mail invalide",
        "missing_name": "nom manquant",
        "learner_yes_no": "participant doit valoir oui ou non",
        "unknown_locale": "langue inconnue (par exemple de_DE ou fr)",
        "unknown_zone": "fuseau horaire inconnu (par exemple Europe/Paris)",
        "dup_id": "matricule en double (d'abord à la ligne {line})",
        "dup_email": "adresse e-mail en double (d'abord à la ligne {line})",
        "region_mismatch": "autre région : cette personne appartient à une autre région ; "
        "demandez à son responsable local ou aux RH de la déplacer",
        "email_taken": "adresse e-mail déjà utilisée par une autre personne",
        "unknown_manager": "responsable inconnu (absent du fichier et de Summit) : indiquez "
        "son adresse e-mail et Summit l'ajoute",
        "manager_ambiguous": "plusieurs personnes portent le nom de ce responsable : "
        "indiquez son matricule ou son adresse e-mail",
        "manager_cycle": "boucle de responsables (la personne est sa propre responsable "
        "par l'intermédiaire d'autres)",
        "manager_refused": "importé sans responsable pour l'instant : la ligne du responsable "
        "(ligne {line}) a été refusée",
        "excluded": "écarté par le filtre",
    },
}


def roster_reason(code: str, lang: str = "en") -> str:
    """A reason code of the roster import (``"dup_id|4"``) in ``lang`` (en, de, fr)."""
    key, _, arg = (code or "").partition("|")
    table = ROSTER_REASONS.get(lang, ROSTER_REASONS["en"])
    pattern = table.get(key) or ROSTER_REASONS["en"].get(key)
    if pattern is None:
        return code  # a reason stored before reason codes: already a sentence
    return pattern.format(line=arg)
