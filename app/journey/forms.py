"""What the note-of-the-week form posts (``app.forms``)."""

from __future__ import annotations

from wtforms import StringField

from app.forms import Form, strip


class NoteForm(Form):
    text = StringField(filters=[strip])
    author = StringField(filters=[strip])
