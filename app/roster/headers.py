"""Which column of an HR export holds which of Summit's roster fields.

Headers are compared normalised (:func:`normalise_header`): case, accents, spaces,
punctuation, snake_case and camelCase make no difference, and a parenthesised note
is dropped, so ``manager_employee_id``, ``Manager Employee ID``, ``managerEmployeeId``
and ``Manager - Employee ID`` are one header. The synonyms come from the exports the
vendors document (see ``tests/roster/fixtures/hr_exports/README.md``): Workday
reports, SAP SuccessFactors' user data file, Personio exports, BambooHR reports, HiBob
reports, Lucca's user file, ADP Workforce Now reports, Oracle HCM views and Microsoft
Entra's "Download users", in English, German and French.
Earlier names in a list win when a file has several columns for one field (an Entra
file's ``mail`` before its ``userPrincipalName``).
"""

from __future__ import annotations

import re
import unicodedata

#: the fields Summit reads; everything else in the file is ignored (minimisation)
FIELDS = (
    "employee_id",
    "email",
    "name",
    "first_name",
    "last_name",
    "manager",
    "manager_id",
    "manager_email",
    "manager_name",
    "locale",
    "time_zone",
    "country",
    "buddy",
    "learner",
)

#: fields that name the manager (one is enough; several help: an email creates them)
MANAGER_FIELDS = ("manager", "manager_id", "manager_email", "manager_name")

SYNONYMS: dict[str, list[str]] = {
    "employee_id": [
        "employee id",
        "employee_id",
        "employee number",
        "employee no",
        "employee #",
        # SuccessFactors keys people (and its MANAGER column) by USERID, not EMPID
        "userid",
        "user id",
        "emp id",
        "employee",
        "personnel number",
        "personnel no",
        "staff id",
        "staff number",
        "worker id",
        "file number",
        "person number",
        "employee eid",
        # ADP Workforce Now reports ("Associate ID", the manager "Reports To Associate ID")
        "associate id",
        "employeeId",
        "personalnummer",
        "personal nr",
        "pers nr",
        "mitarbeiternummer",
        "mitarbeiter nr",
        "mitarbeiter id",
        "mitarbeiter-id",
        "matricule",
        "numero de matricule",
        "numéro matricule",
        "matricule salarie",
        "id salarie",
        "identifiant salarie",
        "numero d'employe",
        "id",
    ],
    "email": [
        "email",
        "e-mail",
        "email address",
        "work email",
        "primary work email",
        "business email",
        "work e-mail",
        "company email",
        "mail",
        "best email",
        "e-mail-adresse",
        "e-mail geschaftlich",
        "geschaftliche e-mail",
        "courriel",
        "adresse email",
        "adresse e-mail",
        "adresse electronique",
        "email professionnel",
        "userPrincipalName",
        "user principal name",
        "upn",
    ],
    "name": [
        "name",
        "full name",
        "display name",
        "displayName",
        "employee name",
        "worker",
        "worker name",
        "legal name",
        "full name last first",
        "last name first name",
        "vollstandiger name",
        "anzeigename",
        "mitarbeiter",
        "mitarbeitername",
        "nom complet",
        "nom prenom",
        "nom et prenom",
        "salarie",
        "collaborateur",
    ],
    "first_name": [
        "first name",
        "firstname",
        "given name",
        "givenName",
        "legal first name",
        "preferred first name",
        "forename",
        "vorname",
        "prenom",
    ],
    "last_name": [
        "last name",
        "lastname",
        "surname",
        "family name",
        "legal last name",
        "nachname",
        "familienname",
        "nom",
        "nom de famille",
    ],
    "manager": [
        "manager",
        "supervisor",
        "line manager",
        "reports to",
        "direct manager",
        "people manager",
        "vorgesetzter",
        "vorgesetzte",
        "vorgesetzte r",
        "fuhrungskraft",
        "direkte fuhrungskraft",
        "responsable",
        "manager hierarchique",
        "responsable hierarchique",
        "n+1",
        "superieur hierarchique",
    ],
    "manager_id": [
        "manager id",
        "manager employee id",
        "manager_employee_id",
        "manager number",
        "manager employee number",
        "manager - id",
        "supervisor id",
        "supervisor eid",
        "supervisor employee id",
        "reports to id",
        "reports to employee id",
        "line manager id",
        "manager user id",
        "manager personnel number",
        "vorgesetzter id",
        "vorgesetzter personalnummer",
        "personalnummer vorgesetzter",
        "personalnummer vorgesetzte",
        "fuhrungskraft id",
        "fuhrungskraft personalnummer",
        "personalnummer fuhrungskraft",
        "matricule responsable",
        "matricule manager",
        "matricule du responsable",
        "id responsable",
        "id du responsable",
        "id manager",
    ],
    "manager_email": [
        "manager email",
        "manager e-mail",
        "manager's email",
        "manager email address",
        "line manager email",
        "supervisor email",
        "reports to email",
        "manager mail",
        "manager work email",
        "e-mail vorgesetzter",
        "vorgesetzter e-mail",
        "e-mail fuhrungskraft",
        "fuhrungskraft e-mail",
        "email du responsable",
        "email responsable",
        "e-mail du responsable",
        "courriel du responsable",
        "email manager",
    ],
    "manager_name": [
        "manager name",
        "supervisor name",
        "line manager name",
        "reports to name",
        "manager full name",
        "name vorgesetzter",
        "vorgesetzter name",
        "name fuhrungskraft",
        "fuhrungskraft name",
        "nom du responsable",
        "nom responsable",
        "nom manager",
    ],
    "locale": [
        "locale",
        "language",
        "preferred language",
        "lang",
        "sprache",
        "korrespondenzsprache",
        "bevorzugte sprache",
        "langue",
        "langue preferee",
        "preferredLanguage",
        # Lucca's user file: the display language, "fr-FR", "de-DE", "en-GB"
        "culture",
    ],
    "time_zone": ["time zone", "timezone", "tz", "zeitzone", "fuseau horaire"],
    "country": [
        "country",
        "country code",
        "work country",
        "usage location",
        "usageLocation",
        "location country",
        "land",
        "pays",
        "pays de travail",
    ],
    "buddy": ["buddy", "buddy id", "buddy email", "lernpartner", "binome"],
    "learner": [
        "learner",
        "participant",
        "enrol",
        "enroll",
        "enrolled",
        "in program",
        "teilnehmer",
        "teilnehmerin",
        "teilnahme",
        "participe",
        "apprenant",
    ],
}


def normalise_header(value: object) -> str:
    """``" Führungs-Kraft (E-Mail) "`` → ``"fuhrungskraft"``: case, accents, spacing,
    punctuation, underscores and a parenthesised note make no difference; camelCase
    is folded by the case."""
    text = unicodedata.normalize("NFKD", str(value or "").replace("ß", "ss"))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"\(.*?\)", "", text)
    return re.sub(r"[^0-9a-z+]", "", text)


#: normalised header → (field, priority: lower wins)
ALIASES: dict[str, tuple[str, int]] = {}
for _field, _names in SYNONYMS.items():
    for _rank, _name in enumerate(_names):
        ALIASES.setdefault(normalise_header(_name), (_field, _rank))

_MANAGER_WORDS = (
    "manager",
    "supervisor",
    "vorgesetzt",
    "fuhrungskraft",
    "responsable",
    "reportsto",
)


def guess_field(header: object) -> tuple[str, int] | None:
    """The field a header names, with its priority; None when it names none of them."""
    key = normalise_header(header)
    if not key:
        return None
    if key in ALIASES:
        return ALIASES[key]
    # "Manager of record: e-mail", "Supervisor Work Email", "ID Vorgesetzte(r)"...
    if any(word in key for word in _MANAGER_WORDS):
        if "mail" in key or "courriel" in key:
            return "manager_email", 90
        if "name" in key or key.endswith("nom"):
            return "manager_name", 90
        if key.endswith(("id", "number", "nummer", "nr", "no")) or "matricule" in key:
            return "manager_id", 90
    return None


def guess_mapping(headers: list[str]) -> dict[str, int]:
    """Field → column index, the best-ranked column for each field."""
    best: dict[str, tuple[int, int]] = {}
    for index, header in enumerate(headers):
        guess = guess_field(header)
        if guess is None:
            continue
        field, rank = guess
        if field not in best or rank < best[field][0]:
            best[field] = (rank, index)
    return {field: index for field, (_, index) in best.items()}


def missing_fields(found: set[str]) -> list[str]:
    """What a mapping lacks to import anyone (empty when it is enough)."""
    missing = []
    if "employee_id" not in found:
        missing.append("employee_id")
    if "email" not in found:
        missing.append("email")
    if "name" not in found and not {"first_name", "last_name"} <= found:
        missing.append("name")
    return missing


def looks_like_header(headers: list[str]) -> bool:
    """A row that names at least two of id, email and name: the header row of a roster."""
    found = set(guess_mapping(headers))
    has_name = "name" in found or {"first_name", "last_name"} <= found
    return sum(("employee_id" in found, "email" in found, has_name)) >= 2
