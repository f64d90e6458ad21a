"""Why a progress file was refused, in the lead's language, with what to do.

A refusal is stored on the import as a code (``"wrong_format|moodle|openedx"``: the code and
its arguments) and put into words when shown, from the catalogs (translations/); an error
stored before codes is shown as is. ``lang`` is the reader's language, the one being
rendered when None, as in every ``texts`` module.
"""

from __future__ import annotations

from app.language import N_, gettext, in_language, translate

#: the formats as a lead knows them, for the messages
FORMAT_NAMES = {
    "openedx": N_("Open edX grade report"),
    "openedx-problems": N_("Open edX problem grade report"),
    "moodle": N_("Moodle completion report"),
    "linkedin": N_("LinkedIn Learning learner report"),
    "udemy": N_("Udemy Business user course activity report"),
    "summit": N_("Summit CSV"),
    "generic": N_("generic CSV"),
}

ERRORS: dict[str, str] = {
    "failed": N_("The import failed: %(reason)s"),
    "check": N_("Check the format and upload the file again."),
    "empty": N_(
        "the file is empty. Export the report again from the course platform and upload that file."
    ),
    "pdf": N_(
        "this is a PDF, which holds no table Summit can read. In the course platform, download "
        "the report as CSV and upload that file."
    ),
    "spreadsheet": N_(
        'this is an Excel or OpenDocument workbook. Open it and save it as "CSV UTF-8", or '
        "download the report as CSV from the course platform, and upload that file."
    ),
    "bad_encoding": N_(
        "the file is not valid %(encoding)s text past byte %(byte)s. Save it again as "
        '"CSV UTF-8" and upload that file.'
    ),
    "binary": N_(
        "this is not a text table (CSV). Download the report as CSV from the course platform and "
        "upload that file."
    ),
    "roster": N_(
        "this looks like a roster (people and managers), not course progress: it has no column "
        "naming a module or saying how far a learner got. Upload rosters on the rollout's roster "
        "page; here, upload the course platform's progress report."
    ),
    "wrong_format": N_(
        "this file is a %(detected)s, not a %(chosen)s. Upload it again with the format "
        '"Recognise automatically" (or %(detected)s).'
    ),
    "not_format": N_(
        "this file is not a %(chosen)s: it lacks the columns %(columns)s. Upload it again with "
        'the format "Recognise automatically".'
    ),
    "unknown_header": N_(
        "the file's first row matches no export Summit knows. Upload it with the format "
        '"Recognise automatically" and say which column is which.'
    ),
}


def error_code(code: str, *args: str) -> str:
    """The stored form of a refusal: ``code|arg|arg``."""
    return "|".join((code, *args))


def import_error(stored: str | None, lang: str | None = None) -> str:
    """A stored refusal in ``lang``; a free text (stored before codes) as it is."""
    code, *args = (stored or "").split("|")
    if code not in ERRORS or code in ("failed", "check"):
        return stored or ""
    with in_language(lang):
        names = [gettext(FORMAT_NAMES[a]) if a in FORMAT_NAMES else a for a in args]
    params = dict(zip(("detected", "chosen"), names, strict=False))
    if code == "bad_encoding":
        params = dict(zip(("encoding", "byte"), args, strict=False))
    if code == "not_format":
        params = {"chosen": names[0] if names else "", "columns": ", ".join(args[1:])}
    return translate(ERRORS[code], lang, **params)


def failed(stored: str | None, lang: str | None = None) -> str:
    """The whole sentence of a failed import."""
    reason = import_error(stored, lang)
    if reason == (stored or ""):  # a free text, stored before codes: add what to do
        reason = f"{reason} {translate(ERRORS['check'], lang)}"
    return translate(ERRORS["failed"], lang, reason=reason)
