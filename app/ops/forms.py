"""What the operations pages post, read through Flask-WTF forms (``app.forms``)."""

from __future__ import annotations

from app.forms import Form, IdsField


class RetryEmailsForm(Form):
    """The failed emails ticked (none: every failed one)."""

    email_id = IdsField()
