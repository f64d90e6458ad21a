"""The audit trail's codes as people read them: who acted, on what, through which channel.

One table per code kind, of catalog messages translated when shown; a code the table does
not know (a new table, a new channel) is shown as it is stored.
"""

from __future__ import annotations

from app.language import N_, gettext

#: ``AuditEvent.actor_type``
ACTOR_TYPES: dict[str, str] = {
    "staff": N_("staff"),
    "person": N_("learner or manager, through a signed link"),
    "system": N_("Summit itself"),
}

#: ``AuditEvent.channel``
CHANNELS: dict[str, str] = {
    "web": N_("web page"),
    "link": N_("signed link in an email"),
    "cli": N_("command line"),
    "job": N_("background job"),
    "system": N_("automatic"),
    "xapi": N_("learning platform (xAPI)"),
    "connector": N_("learning platform connector"),
    "entra": N_("Microsoft sign-in"),
    "import": N_("file import"),
}

#: ``AuditEvent.object_type``: the table of what was acted on
OBJECT_TYPES: dict[str, str] = {
    "approval_digest": N_("approval digest"),
    "call_attendance": N_("call attendance"),
    "call_invitation": N_("call invitation"),
    "call_session": N_("expert call"),
    "enrollment": N_("enrollment"),
    "master_class": N_("master class"),
    "master_class_invitation": N_("master-class invitation"),
    "outbound_email": N_("email"),
    "person": N_("person"),
    "program": N_("program"),
    "progress_import": N_("progress import"),
    "region": N_("region"),
    "report": N_("weekly report"),
    "rollout": N_("rollout"),
    "roster_import": N_("roster import"),
    "rq_job": N_("background job"),
    "staff_user": N_("staff member"),
    "term": N_("term"),
    "term_close": N_("term close"),
    "term_review": N_("term review"),
    "time_allocation": N_("study time request"),
    # a fresh link sent for an expired one names the link's purpose (app.freshlinks)
    "approvals.decide": N_("link to the sign-off page"),
    "buddy-signoff": N_("link to the buddy sign-off"),
    "calls.question": N_("link to the call question form"),
    "goal-survey": N_("link to the goal survey"),
    "journey": N_("link to the weekly journey"),
    "journey.track": N_("link in the weekly journey email"),
    "leaderboard-opt-in": N_("link to the leaderboard choice"),
    "masterclass-rsvp": N_("link to the master-class reply"),
    "report-subscription": N_("link to the report subscription"),
    "report-subscription-global": N_("link to the global report subscription"),
    "rollouts.commit": N_("link to the commitment page"),
}


def actor_type(code: str) -> str:
    """Who acted, in the reader's language."""
    return _label(ACTOR_TYPES, code)


def channel(code: str) -> str:
    """Through which channel, in the reader's language."""
    return _label(CHANNELS, code)


def object_type(code: str) -> str:
    """What kind of thing was acted on, in the reader's language."""
    return _label(OBJECT_TYPES, code)


def _label(table: dict[str, str], code: str) -> str:
    message = table.get(code)
    return gettext(message) if message is not None else code
