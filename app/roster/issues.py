"""The rows an import did not apply (and the notes on rows it did): copied out of the
staging table under the file's own headers, and exported as CSV safe to open in Excel."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.engine import Connection

from app.extensions import db
from app.language import _, in_language
from app.roster.files import COLUMN_LABELS
from app.roster.headers import MANAGER_FIELDS
from app.roster.models import RosterImport, RosterImportIssue
from app.roster.staging import staged_issues
from app.roster.texts import roster_reason
from app.tabular import write_csv


def column_header(field: str, headers: dict[str, str]) -> str:
    """The file's own header for a field (what the lead sees in their file)."""
    if field == "manager" and field not in headers:
        field = next((f for f in MANAGER_FIELDS if f in headers), field)
    if field == "name" and field not in headers:
        field = "first_name"
    return (headers.get(field) or COLUMN_LABELS.get(field, field))[:80]


def issue_recorder(roster_import: RosterImport) -> Any:
    def copy_out(conn: Connection, headers: dict[str, str]) -> None:
        db.session.execute(
            delete(RosterImportIssue).where(RosterImportIssue.import_id == roster_import.id)
        )
        batch: list[dict[str, Any]] = []
        for line, column, code, refused in staged_issues(conn):
            batch.append(
                {
                    "import_id": roster_import.id,
                    "region_id": roster_import.region_id,
                    "line": line,
                    "column": column_header(column, headers),
                    "reason": roster_reason(code, "en")[:300],
                    "code": code[:60],
                    "refused": refused,
                }
            )
            if len(batch) >= 5000:
                db.session.execute(insert(RosterImportIssue), batch)
                batch = []
        if batch:
            db.session.execute(insert(RosterImportIssue), batch)

    return copy_out


def issues_csv(rows: Any, *, lang: str = "en") -> str:
    """The issues of an import as CSV (line, column, reason), headers and reasons in
    ``lang``, text formula-neutralised (``app.tabular``)."""
    with in_language(lang):
        header = [_("Line"), _("Column"), _("Reason")]
    table = []
    for issue in rows:
        code = getattr(issue, "code", None)
        table.append(
            [issue.line, issue.column, roster_reason(code, lang) if code else issue.reason]
        )
    return write_csv(header, table)
