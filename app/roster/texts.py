"""Why a roster file was refused as a whole, or one of its rows, in the lead's language
(catalog messages).

The reasons come from :class:`app.roster.files.UnreadableRoster` as a code and
its parameters (stored with the import); a reason without a code (one stored before
codes, or a rare one) is shown as its English message. ``lang`` is the reader's
language, the one being rendered when None, as in every ``texts`` module.
"""

from __future__ import annotations

from typing import Any

from app.language import N_, gettext, in_language, translate

REFUSED = N_("The file was refused as a whole and nothing was applied:")
NONE = N_("none")

REFUSALS: dict[str, str] = {
    "empty": N_("The file is empty. Export the roster again and upload that file."),
    "no_people": N_(
        "The file names its columns but has no people under them (only blank or totals rows). "
        "Export the roster again with its rows and upload that."
    ),
    "other_format": N_(
        "This file is %(kind)s, not a roster. Export the roster from the HR system as CSV or "
        "Excel (.xlsx), or open it in Excel and save it as .xlsx, then upload that."
    ),
    "not_text": N_(
        "This file is not text (it contains binary data). Upload the CSV, TXT or XLSX export of "
        "the roster."
    ),
    "bad_encoding": N_(
        "The file is not valid %(encoding)s text past byte %(byte)s. Save it again from Excel as "
        "'CSV UTF-8' and upload that."
    ),
    "bad_xlsx": N_(
        "This .xlsx workbook cannot be opened. Open it in Excel, save it again as .xlsx (or as "
        "CSV UTF-8) and upload that."
    ),
    "no_sheet": N_(
        "The workbook has no visible sheet. Show the roster's sheet in Excel, save, and upload "
        "the file again."
    ),
    "missing_columns": N_(
        "The file must have a row that names its columns; missing: %(missing)s. Columns found: "
        "%(found)s. Choose below which column holds what, or export the roster with these columns."
    ),
}

#: what an uploaded file is instead of a roster, by kind
KINDS: dict[str, str] = {
    "pdf": N_("a PDF document"),
    "xls": N_("an old Excel .xls workbook"),
    "rtf": N_("an RTF document"),
    "image": N_("an image"),
}

#: the columns a roster needs, as the lead's HR system may call them
NEEDED: dict[str, str] = {
    "employee_id": N_("an employee id column (Employee ID, Personnel number, Personalnummer)"),
    "email": N_("an email column (Email, E-mail)"),
    "name": N_("a name column (Name, or First name and Last name)"),
}


def refusal_text(refusal: dict[str, Any] | None, lang: str | None = None) -> str | None:
    """The whole-file refusal stored with an import (``{"code", "params"}``) in ``lang``,
    prefixed with "refused, nothing applied"; None when it has no known code."""
    if not refusal or refusal.get("code") not in REFUSALS:
        return None
    params = dict(refusal.get("params") or {})
    with in_language(lang):
        if "kind" in params:
            params["kind"] = gettext(KINDS.get(params["kind"], KINDS["image"]))
        if "missing" in params:
            params["missing"] = "; ".join(
                gettext(NEEDED[m]) if m in NEEDED else m for m in params["missing"]
            )
        if "found" in params:
            params["found"] = params["found"] or gettext(NONE)
        try:
            text = gettext(REFUSALS[refusal["code"]], **params)
        except (KeyError, IndexError):
            return None
        return f"{gettext(REFUSED)} {text}"


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


#: what a running import is doing (the progress bar's words), by phase or status code
PHASES: dict[str, str] = {
    "queued": N_("waiting for a worker"),
    "previewing": N_("reading the file"),
    "reading": N_("reading the file"),
    "checking": N_("checking the rows"),
    "applying": N_("applying"),
    "done": N_("done"),
}


def phase_text(code: str, lang: str | None = None) -> str:
    """A phase of a running import in ``lang``."""
    return translate(PHASES[code], lang) if code in PHASES else code
