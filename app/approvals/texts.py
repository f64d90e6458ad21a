"""The manager's decision pages in the manager's language (en, de, fr), like the emails.

The pages themselves are templates per language (``approvals/<lang>/decide.html`` with
the English one as the fallback); the messages a decision flashes and the reasons a
decision is refused are here, keyed, so services stay free of presentation.
"""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "approved_n": "Approved {n} request(s). Your reports have been told.",
        "nothing_pending": "Nothing was pending.",
        "handed_over": "Handed over to {name}, who has been emailed the same page.",
        "saved": "Saved for {name}; they have been told.",
        "no_change": "No change for {name}.",
        "closed": (
            "Decisions for this program closed when the first term started on {date}. "
            "Please contact the local program lead of {region} if something needs to change."
        ),
        "reason_too_long": "Please keep the reason under {limit} characters.",
        "decline_reason": "Please give a reason when you decline, so your report knows why.",
        "hours_range": (
            "Enter the hours per week you can give, a number above 0 and at most {limit} "
            "(for example 1.5)."
        ),
        "choose_action": "Choose approve, decline or propose other hours.",
        "left_program": "{name} has left the program: nothing to decide.",
        "unknown_colleague": (
            "We do not know anyone with that email address. Enter your colleague's work "
            "email address, as in the company directory."
        ),
        "not_yourself": "Choose a colleague other than yourself.",
        "nothing_to_hand_over": "There is nothing pending to hand over.",
    },
    "de": {
        "approved_n": "{n} Anfrage(n) genehmigt. Ihre Mitarbeitenden wurden informiert.",
        "nothing_pending": "Es war nichts offen.",
        "handed_over": "An {name} übergeben; {name} hat dieselbe Seite per E-Mail erhalten.",
        "saved": "Für {name} gespeichert; {name} wurde informiert.",
        "no_change": "Keine Änderung für {name}.",
        "closed": (
            "Die Entscheidungen für dieses Programm wurden mit dem Beginn des ersten "
            "Abschnitts am {date} abgeschlossen. Wenden Sie sich an die lokale "
            "Programmleitung in {region}, wenn etwas geändert werden muss."
        ),
        "reason_too_long": "Bitte fassen Sie die Begründung in weniger als {limit} Zeichen.",
        "decline_reason": (
            "Bitte geben Sie bei einer Ablehnung einen Grund an, damit Ihre Mitarbeiterin "
            "oder Ihr Mitarbeiter weiß, warum."
        ),
        "hours_range": (
            "Geben Sie die Stunden pro Woche an, die Sie ermöglichen können: eine Zahl über 0 "
            "und höchstens {limit} (zum Beispiel 1,5)."
        ),
        "choose_action": "Wählen Sie Genehmigen, Ablehnen oder andere Stunden vorschlagen.",
        "left_program": "{name} hat das Programm verlassen: Es gibt nichts zu entscheiden.",
        "unknown_colleague": (
            "Unter dieser E-Mail-Adresse kennen wir niemanden. Geben Sie die geschäftliche "
            "E-Mail-Adresse Ihrer Kollegin oder Ihres Kollegen an, wie im Firmenverzeichnis."
        ),
        "not_yourself": "Wählen Sie eine andere Person als sich selbst.",
        "nothing_to_hand_over": "Es ist nichts Offenes zu übergeben.",
    },
    "fr": {
        "approved_n": "{n} demande(s) approuvée(s). Vos collaborateurs ont été prévenus.",
        "nothing_pending": "Rien n'était en attente.",
        "handed_over": "Transmis à {name}, qui a reçu la même page par e-mail.",
        "saved": "Enregistré pour {name}, qui a été prévenu(e).",
        "no_change": "Aucun changement pour {name}.",
        "closed": (
            "Les décisions pour ce programme sont closes depuis le début de la première "
            "période, le {date}. Contactez le responsable local du programme pour {region} "
            "si quelque chose doit changer."
        ),
        "reason_too_long": "Merci de limiter le motif à {limit} caractères.",
        "decline_reason": (
            "Merci d'indiquer un motif en cas de refus, pour que votre collaborateur "
            "sache pourquoi."
        ),
        "hours_range": (
            "Indiquez les heures par semaine que vous pouvez accorder : un nombre supérieur "
            "à 0 et au plus {limit} (par exemple 1,5)."
        ),
        "choose_action": "Choisissez approuver, refuser ou proposer d'autres heures.",
        "left_program": "{name} a quitté le programme : rien à décider.",
        "unknown_colleague": (
            "Nous ne connaissons personne avec cette adresse e-mail. Saisissez l'adresse "
            "professionnelle de votre collègue, telle qu'elle figure dans l'annuaire."
        ),
        "not_yourself": "Choisissez un(e) collègue autre que vous-même.",
        "nothing_to_hand_over": "Il n'y a rien en attente à transmettre.",
    },
}


def text(key: str, lang: str, **params: Any) -> str:
    catalog = MESSAGES.get(lang, MESSAGES["en"])
    return catalog.get(key, MESSAGES["en"][key]).format(**params)
