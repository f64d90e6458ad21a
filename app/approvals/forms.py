"""What the approval pages post, read through Flask-WTF forms (``app.forms``)."""

from __future__ import annotations

from wtforms import StringField

from app.approvals.models import AllocationStatus
from app.forms import Form, strip

#: the decisions a form's ``action`` names
DECISIONS = {
    "approve": AllocationStatus.APPROVED,
    "decline": AllocationStatus.DECLINED,
    "propose": AllocationStatus.PROPOSED,
}


class DecisionForm(Form):
    """A manager's (or the lead's) decision: ``action`` is approve, decline, propose,
    approve_all or delegate; the others depend on it."""

    action = StringField(filters=[strip])
    allocation_id = StringField(filters=[strip])
    hours = StringField(filters=[strip])
    reason = StringField()
    delegate_email = StringField()


class ResendForm(Form):
    person_id = StringField(filters=[strip])
