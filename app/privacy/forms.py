"""What the privacy pages post, read through Flask-WTF forms (``app.forms``)."""

from __future__ import annotations

from wtforms import StringField

from app.forms import Form, strip


class EraseForm(Form):
    """The employee id typed again to confirm an erasure."""

    confirm = StringField(filters=[strip])
