"""The export page's tables, columns and values as an administrator reads them.

Labels are catalog messages keyed by ``table.column`` (or by a column name every table
means the same by, such as ``created_at``), translated when shown; a table or column the
labels do not know yet is shown in a readable form of its name. The JSON download keeps
the stored names: it is data, not a page.
"""

from __future__ import annotations

from typing import Any

from app.language import N_, gettext, ngettext

TABLES: dict[str, str] = {
    "person": N_("Person"),
    "enrollment": N_("Enrollments"),
    "time_allocation": N_("Study time requests"),
    "approval_digest": N_("Sign-off emails to the manager"),
    "outbound_email": N_("Emails"),
    "audit_event": N_("Audit trail"),
}

#: a column every table means the same by
SHARED_COLUMNS: dict[str, str] = {
    "id": N_("Id"),
    "created_at": N_("Created"),
    "updated_at": N_("Last changed"),
    "region_id": N_("Region (id)"),
    "rollout_id": N_("Rollout (id)"),
    "enrollment_id": N_("Enrollment (id)"),
    "manager_id": N_("Manager (id)"),
    "status": N_("Status"),
    "kind": N_("Kind"),
}

COLUMNS: dict[str, str] = {
    "person.employee_id": N_("Employee id"),
    "person.email": N_("Email address"),
    "person.name": N_("Name"),
    "person.locale": N_("Language"),
    "person.time_zone": N_("Time zone"),
    "person.erased_at": N_("Erased"),
    "time_allocation.delegate_id": N_("Delegate (id)"),
    "time_allocation.delegated_by_id": N_("Delegated by (id)"),
    "time_allocation.delegated_at": N_("Delegated"),
    "time_allocation.hours_requested": N_("Hours a week requested"),
    "time_allocation.hours_decided": N_("Hours a week decided"),
    "time_allocation.reason": N_("Reason"),
    "time_allocation.requested_at": N_("Requested"),
    "time_allocation.digest_id": N_("Sign-off email (id)"),
    "time_allocation.request_sent_at": N_("Request sent"),
    "time_allocation.decided_at": N_("Decided"),
    "time_allocation.decided_by_id": N_("Decided by (id)"),
    "time_allocation.decided_via": N_("Decided through"),
    "time_allocation.decision_count": N_("Decisions taken"),
    "time_allocation.reminders_sent": N_("Reminders sent"),
    "time_allocation.last_reminded_at": N_("Last reminder"),
    "time_allocation.escalated_at": N_("Escalated"),
    "approval_digest.day": N_("Day"),
    "approval_digest.follow_up": N_("Follow-up"),
    "approval_digest.report_count": N_("Learners listed"),
}

#: stored codes of a column, as people read them
VALUES: dict[str, dict[str, str]] = {
    "time_allocation.status": {
        "pending": N_("pending"),
        "approved": N_("approved"),
        "declined": N_("declined"),
        "proposed": N_("other hours proposed"),
    },
    "time_allocation.decided_via": {
        "link": N_("signed link in an email"),
        "web": N_("web page"),
    },
    "approval_digest.kind": {
        "request": N_("request"),
        "reminder": N_("reminder"),
        "resend": N_("sent again"),
        "delegation": N_("handed to a colleague"),
    },
}


def table_label(table: str) -> str:
    """A table's name in the reader's language."""
    message = TABLES.get(table)
    return gettext(message) if message else _readable(table)


def column_label(table: str, column: str) -> str:
    """A column's name in the reader's language."""
    message = COLUMNS.get(f"{table}.{column}") or SHARED_COLUMNS.get(column)
    return gettext(message) if message else _readable(column)


def value_label(table: str, column: str, value: Any) -> Any:
    """A value as shown: yes/no/— for booleans and nothing, a code's label, else the value."""
    if value is None:
        return "—"
    if value is True:
        return gettext("yes")
    if value is False:
        return gettext("no")
    if isinstance(value, dict) and "bytes" in value:
        return ngettext("%(num)s byte", "%(num)s bytes", value["bytes"])
    message = VALUES.get(f"{table}.{column}", {}).get(value) if isinstance(value, str) else None
    return gettext(message) if message else value


def _readable(name: str) -> str:
    return name.replace("_", " ").capitalize()
