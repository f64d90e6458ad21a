"""What the buddy pages post, read through Flask-WTF forms (``app.forms``)."""

from __future__ import annotations

from wtforms import StringField, TextAreaField

from app.forms import Form, IntField, strip


class SwapForm(Form):
    """Two learners of the rollout, each by employee id or email."""

    first = StringField(filters=[strip])
    second = StringField(filters=[strip])


class MoveForm(Form):
    """One learner (an enrollment id of the rollout) into a group (its number) or out of
    pairing (``out``), with the lead's reason."""

    learner = IntField()
    group = StringField(filters=[strip])
    reason = TextAreaField(filters=[strip])
