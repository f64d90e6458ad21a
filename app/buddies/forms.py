"""What the buddy pages post, read through Flask-WTF forms (``app.forms``)."""

from __future__ import annotations

from wtforms import StringField

from app.forms import Form, strip


class SwapForm(Form):
    """Two learners of the rollout, each by employee id or email."""

    first = StringField(filters=[strip])
    second = StringField(filters=[strip])
