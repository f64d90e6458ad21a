"""Why a roster file was refused as a whole, or one of its rows, in the lead's language
(en, de, fr).

The reasons come from :class:`app.roster.files.UnreadableRoster` as a code and
its parameters (stored with the import); a reason without a code (one stored before
codes, or a rare one) is shown as its English message.
"""

from __future__ import annotations

from typing import Any

REFUSED: dict[str, str] = {
    "en": "The file was refused as a whole and nothing was applied:",
    "de": "Die Datei wurde als Ganzes abgelehnt, nichts wurde übernommen:",
    "fr": "Le fichier a été refusé en entier et rien n'a été appliqué :",
}

REFUSALS: dict[str, dict[str, str]] = {
    "en": {
        "empty": "The file is empty. Export the roster again and upload that file.",
        "no_people": "The file names its columns but has no people under them (only blank "
        "or totals rows). Export the roster again with its rows and upload that.",
        "other_format": "This file is {kind}, not a roster. Export the roster from the HR "
        "system as CSV or Excel (.xlsx), or open it in Excel and save it as .xlsx, then "
        "upload that.",
        "not_text": "This file is not text (it contains binary data). Upload the CSV, TXT "
        "or XLSX export of the roster.",
        "bad_encoding": "The file is not valid {encoding} text past byte {byte}. Save it "
        "again from Excel as 'CSV UTF-8' and upload that.",
        "bad_xlsx": "This .xlsx workbook cannot be opened. Open it in Excel, save it again "
        "as .xlsx (or as CSV UTF-8) and upload that.",
        "no_sheet": "The workbook has no visible sheet. Show the roster's sheet in Excel, "
        "save, and upload the file again.",
        "missing_columns": "The file must have a row that names its columns; missing: "
        "{missing}. Columns found: {found}. Choose below which column holds what, or "
        "export the roster with these columns.",
    },
    "de": {
        "empty": "Die Datei ist leer. Exportieren Sie die Mitarbeiterliste erneut und laden "
        "Sie diese Datei hoch.",
        "no_people": "Die Datei benennt ihre Spalten, enthält darunter aber keine Personen "
        "(nur leere oder Summenzeilen). Exportieren Sie die Liste erneut mit ihren Zeilen "
        "und laden Sie sie hoch.",
        "other_format": "Diese Datei ist {kind}, keine Mitarbeiterliste. Exportieren Sie die "
        "Liste aus dem HR-System als CSV oder Excel (.xlsx), oder öffnen Sie sie in Excel, "
        "speichern Sie sie als .xlsx und laden Sie diese Datei hoch.",
        "not_text": "Diese Datei ist kein Text (sie enthält Binärdaten). Laden Sie den CSV-, "
        "TXT- oder XLSX-Export der Mitarbeiterliste hoch.",
        "bad_encoding": "Die Datei ist ab Byte {byte} kein gültiger {encoding}-Text. "
        "Speichern Sie sie in Excel erneut als „CSV UTF-8“ und laden Sie diese hoch.",
        "bad_xlsx": "Diese .xlsx-Arbeitsmappe lässt sich nicht öffnen. Öffnen Sie sie in "
        "Excel, speichern Sie sie erneut als .xlsx (oder als CSV UTF-8) und laden Sie sie "
        "hoch.",
        "no_sheet": "Die Arbeitsmappe hat kein sichtbares Blatt. Blenden Sie das Blatt der "
        "Liste in Excel ein, speichern Sie und laden Sie die Datei erneut hoch.",
        "missing_columns": "Die Datei braucht eine Zeile, die ihre Spalten benennt; es fehlt: "
        "{missing}. Gefundene Spalten: {found}. Wählen Sie unten, welche Spalte was "
        "enthält, oder exportieren Sie die Liste mit diesen Spalten.",
    },
    "fr": {
        "empty": "Le fichier est vide. Exportez à nouveau la liste du personnel et déposez "
        "ce fichier.",
        "no_people": "Le fichier nomme ses colonnes mais ne contient personne en dessous "
        "(seulement des lignes vides ou de totaux). Exportez à nouveau la liste avec ses "
        "lignes et déposez-la.",
        "other_format": "Ce fichier est {kind}, pas une liste du personnel. Exportez la "
        "liste du SIRH en CSV ou Excel (.xlsx), ou ouvrez-la dans Excel et enregistrez-la "
        "en .xlsx, puis déposez ce fichier.",
        "not_text": "Ce fichier n'est pas du texte (il contient des données binaires). "
        "Déposez l'export CSV, TXT ou XLSX de la liste du personnel.",
        "bad_encoding": "Le fichier n'est pas du texte {encoding} valide après l'octet "
        "{byte}. Enregistrez-le à nouveau depuis Excel en « CSV UTF-8 » et déposez-le.",
        "bad_xlsx": "Ce classeur .xlsx ne peut pas être ouvert. Ouvrez-le dans Excel, "
        "enregistrez-le à nouveau en .xlsx (ou en CSV UTF-8) et déposez-le.",
        "no_sheet": "Le classeur n'a aucune feuille visible. Affichez la feuille de la "
        "liste dans Excel, enregistrez et déposez à nouveau le fichier.",
        "missing_columns": "Le fichier doit avoir une ligne qui nomme ses colonnes ; il "
        "manque : {missing}. Colonnes trouvées : {found}. Choisissez ci-dessous quelle "
        "colonne contient quoi, ou exportez la liste avec ces colonnes.",
    },
}

#: what an uploaded file is instead of a roster, by kind
KINDS: dict[str, dict[str, str]] = {
    "en": {
        "pdf": "a PDF document",
        "xls": "an old Excel .xls workbook",
        "rtf": "an RTF document",
        "image": "an image",
    },
    "de": {
        "pdf": "ein PDF-Dokument",
        "xls": "eine alte Excel-Arbeitsmappe (.xls)",
        "rtf": "ein RTF-Dokument",
        "image": "ein Bild",
    },
    "fr": {
        "pdf": "un document PDF",
        "xls": "un ancien classeur Excel (.xls)",
        "rtf": "un document RTF",
        "image": "une image",
    },
}

#: the columns a roster needs, as the lead's HR system may call them
NEEDED: dict[str, dict[str, str]] = {
    "en": {
        "employee_id": "an employee id column (Employee ID, Personnel number, Personalnummer)",
        "email": "an email column (Email, E-mail)",
        "name": "a name column (Name, or First name and Last name)",
    },
    "de": {
        "employee_id": "eine Spalte mit der Personalnummer (Personalnummer, Employee ID)",
        "email": "eine Spalte mit der E-Mail-Adresse (E-Mail, Email)",
        "name": "eine Spalte mit dem Namen (Name, oder Vorname und Nachname)",
    },
    "fr": {
        "employee_id": "une colonne matricule (Matricule, Employee ID)",
        "email": "une colonne e-mail (E-mail, Email, Courriel)",
        "name": "une colonne nom (Nom complet, ou Prénom et Nom)",
    },
}

_NONE = {"en": "none", "de": "keine", "fr": "aucune"}


def refusal_text(refusal: dict[str, Any] | None, lang: str = "en") -> str | None:
    """The whole-file refusal stored with an import (``{"code", "params"}``) in ``lang``,
    prefixed with "refused, nothing applied"; None when it has no known code."""
    if not refusal or refusal.get("code") not in REFUSALS["en"]:
        return None
    lang = lang if lang in REFUSALS else "en"
    params = dict(refusal.get("params") or {})
    if "kind" in params:
        params["kind"] = KINDS[lang].get(params["kind"], KINDS[lang]["image"])
    if "missing" in params:
        params["missing"] = "; ".join(NEEDED[lang].get(m, m) for m in params["missing"])
    if "found" in params:
        params["found"] = params["found"] or _NONE[lang]
    try:
        text = REFUSALS[lang][refusal["code"]].format(**params)
    except (KeyError, IndexError):
        return None
    return f"{REFUSED[lang]} {text}"


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
