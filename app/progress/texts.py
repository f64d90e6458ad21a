"""Why a progress file was refused, in the lead's language (en, de, fr), with what to do.

A refusal is stored on the import as a code (``"wrong_format|moodle|openedx"``: the code and
its arguments) and put into words when shown; an error stored before codes is shown as is.
"""

from __future__ import annotations

#: the formats as a lead knows them, for the messages
FORMAT_NAMES = {
    "openedx": "Open edX grade report",
    "openedx-problems": "Open edX problem grade report",
    "moodle": "Moodle completion report",
    "linkedin": "LinkedIn Learning learner report",
    "udemy": "Udemy Business user course activity report",
    "summit": "Summit CSV",
    "generic": "generic CSV",
}

ERRORS: dict[str, dict[str, str]] = {
    "en": {
        "failed": "The import failed: {reason}",
        "check": "Check the format and upload the file again.",
        "empty": "the file is empty. Export the report again from the course platform and "
        "upload that file.",
        "pdf": "this is a PDF, which holds no table Summit can read. In the course platform, "
        "download the report as CSV and upload that file.",
        "spreadsheet": "this is an Excel or OpenDocument workbook. Open it and save it as "
        '"CSV UTF-8", or download the report as CSV from the course platform, and upload '
        "that file.",
        "bad_encoding": "the file is not valid {encoding} text past byte {byte}. Save it "
        'again as "CSV UTF-8" and upload that file.',
        "binary": "this is not a text table (CSV). Download the report as CSV from the course "
        "platform and upload that file.",
        "roster": "this looks like a roster (people and managers), not course progress: it has "
        "no column naming a module or saying how far a learner got. Upload rosters on the "
        "rollout's roster page; here, upload the course platform's progress report.",
        "wrong_format": "this file is a {detected}, not a {chosen}. Upload it again with the "
        'format "Recognise automatically" (or {detected}).',
        "not_format": "this file is not a {chosen}: it lacks the columns {columns}. Upload it "
        'again with the format "Recognise automatically".',
        "unknown_header": "the file's first row matches no export Summit knows. Upload it with "
        'the format "Recognise automatically" and say which column is which.',
    },
    "de": {
        "failed": "Der Import ist fehlgeschlagen: {reason}",
        "check": "Prüfen Sie das Format und laden Sie die Datei erneut hoch.",
        "empty": "Die Datei ist leer. Exportieren Sie den Bericht erneut aus der "
        "Lernplattform und laden Sie diese Datei hoch.",
        "pdf": "Das ist ein PDF; es enthält keine Tabelle, die Summit lesen kann. Laden Sie den "
        "Bericht in der Lernplattform als CSV herunter und laden Sie diese Datei hoch.",
        "spreadsheet": "Das ist eine Excel- oder OpenDocument-Arbeitsmappe. Öffnen Sie sie und "
        'speichern Sie sie als "CSV UTF-8", oder laden Sie den Bericht in der Lernplattform '
        "als CSV herunter, und laden Sie diese Datei hoch.",
        "bad_encoding": "Die Datei ist ab Byte {byte} kein gültiger {encoding}-Text. Speichern "
        "Sie sie erneut als „CSV UTF-8“ und laden Sie diese Datei hoch.",
        "binary": "Das ist keine Texttabelle (CSV). Laden Sie den Bericht in der Lernplattform "
        "als CSV herunter und laden Sie diese Datei hoch.",
        "roster": "Das sieht nach einer Teilnehmerliste aus (Personen und Führungskräfte), "
        "nicht nach Lernfortschritt: Keine Spalte nennt ein Modul oder sagt, wie weit jemand "
        'ist. Teilnehmerlisten laden Sie auf der Seite "Teilnehmerliste" des Programms hoch; '
        "hier den Fortschrittsbericht der Lernplattform.",
        "wrong_format": "Diese Datei ist ein {detected}, kein {chosen}. Laden Sie sie erneut "
        'mit dem Format "Automatisch erkennen" (oder {detected}) hoch.',
        "not_format": "Diese Datei ist kein {chosen}: Es fehlen die Spalten {columns}. Laden "
        'Sie sie erneut mit dem Format "Automatisch erkennen" hoch.',
        "unknown_header": "Die erste Zeile der Datei passt zu keinem Export, den Summit kennt. "
        'Laden Sie sie mit dem Format "Automatisch erkennen" hoch und geben Sie an, welche '
        "Spalte was enthält.",
    },
    "fr": {
        "failed": "L'import a échoué : {reason}",
        "check": "Vérifiez le format et déposez à nouveau le fichier.",
        "empty": "le fichier est vide. Exportez à nouveau le rapport depuis la plateforme de "
        "formation et déposez ce fichier.",
        "pdf": "c'est un PDF, qui ne contient aucun tableau que Summit sache lire. Dans la "
        "plateforme de formation, téléchargez le rapport au format CSV et déposez ce fichier.",
        "spreadsheet": "c'est un classeur Excel ou OpenDocument. Ouvrez-le et enregistrez-le "
        "en « CSV UTF-8 », ou téléchargez le rapport au format CSV depuis la plateforme, puis "
        "déposez ce fichier.",
        "bad_encoding": "le fichier n'est pas un texte {encoding} valide après l'octet {byte}. "
        "Enregistrez-le à nouveau au format « CSV UTF-8 » et déposez ce fichier.",
        "binary": "ce n'est pas un tableau texte (CSV). Téléchargez le rapport au format CSV "
        "depuis la plateforme de formation et déposez ce fichier.",
        "roster": "cela ressemble à une liste de participants (personnes et responsables), pas "
        "à une progression : aucune colonne ne nomme un module ni ne dit où en est un "
        "apprenant. Déposez les listes de participants sur la page « Participants » du "
        "programme ; ici, le rapport de progression de la plateforme.",
        "wrong_format": "ce fichier est un {detected}, pas un {chosen}. Déposez-le à nouveau "
        "avec le format « Detect from the header » (ou {detected}).",
        "not_format": "ce fichier n'est pas un {chosen} : il lui manque les colonnes "
        "{columns}. Déposez-le à nouveau avec le format « Detect from the header ».",
        "unknown_header": "la première ligne du fichier ne correspond à aucun export connu de "
        "Summit. Déposez-le avec le format « Detect from the header » et indiquez quelle "
        "colonne contient quoi.",
    },
}


def error_code(code: str, *args: str) -> str:
    """The stored form of a refusal: ``code|arg|arg``."""
    return "|".join((code, *args))


def import_error(stored: str | None, lang: str = "en") -> str:
    """A stored refusal in ``lang``; a free text (stored before codes) as it is."""
    code, *args = (stored or "").split("|")
    table = ERRORS.get(lang, ERRORS["en"])
    pattern = table.get(code) or ERRORS["en"].get(code)
    if pattern is None or code in ("failed", "check"):
        return stored or ""
    names = [FORMAT_NAMES.get(a, a) for a in args]
    params = dict(zip(("detected", "chosen"), names, strict=False))
    if code == "bad_encoding":
        params = dict(zip(("encoding", "byte"), args, strict=False))
    if code == "not_format":
        params = {"chosen": names[0] if names else "", "columns": ", ".join(args[1:])}
    return pattern.format(**params)


def failed(stored: str | None, lang: str = "en") -> str:
    """The whole sentence of a failed import."""
    table = ERRORS.get(lang, ERRORS["en"])
    reason = import_error(stored, lang)
    if reason == (stored or ""):  # a free text, stored before codes: add what to do
        reason = f"{reason} {table['check']}"
    return table["failed"].format(reason=reason)
