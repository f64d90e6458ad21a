"""Which columns hold personal data, table by table.

A row belongs to a person through its ``person_id`` or ``enrollment_id``
column. Every text column of such a table is listed here either as personal
(erased) or as not personal (kept): a test fails when a new column is in
neither list, so nobody adds personal data Summit would forget to erase.
"""

from __future__ import annotations

#: erased (set to NULL, or '' where the column is required) for the person's rows
PERSONAL: dict[str, set[str]] = {
    "enrollment": {
        "goal",
        "requested_buddy",
        "roster_buddy",
        "left_reason",
        "goal_comment",
        "goal_reached",
        #: where the learner studies from (their chosen zone)
        "study_time_zone",
    },
    "time_allocation": {"reason"},
    "call_question": {"text"},
    "term_review": {"excuse_reason", "excuse_note", "at_risk_reason", "buddy_note"},
    #: the statement as the course sent it names the learner (mbox, name); actor_key is a hash
    #: of the learner's mailbox or account, which a list of addresses would reverse
    #: exact_form is not personal but says what the payload holds: reset (NULL) with it
    "xapi_statement": {"payload", "ignored_reason", "actor_key", "exact_form"},
}

#: kept: states, sources and keys that say nothing about the person once their name is gone
NOT_PERSONAL: dict[str, set[str]] = {
    "enrollment": {"state"},
    "time_allocation": {"status", "decided_via"},
    "call_attendance": {"source"},
    "module_progress": {"source"},
    "term_review": {"verdict", "buddy_answer", "removed_from_state", "held_email_ids"},
    "master_class_invitation": {"status"},
    #: the ISO week a journey email went out
    "journey_send": {"week"},
    "outbound_email": {"idempotency_key", "kind", "message_id", "status", "last_error"},
    "call_session": {"join_url", "change_note", "notes"},
    "xapi_statement": {
        "statement_id",
        "content_hash",
        "verb",
        "activity_iri",
        "voided_by",
        "statement_ref",
        "registration",
    },
}

#: rows that only copy who the person is (for sending; a directory import's staged manager
#: links, which every run deletes at its end): deleted on erasure
DELETED: set[str] = {"call_invitation", "directory_import_manager"}

#: handled by the erasure service itself rather than column by column
SPECIAL = {"person", "outbound_email", "audit_event", "report", "outbound_attachment"}
