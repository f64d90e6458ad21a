"""What the sign-in pages post, read through Flask-WTF forms (``app.forms``)."""

from __future__ import annotations

from wtforms import StringField

from app.forms import Form, IntField


class SignInForm(Form):
    """Where to go after signing in (checked to stay on Summit), and, for the development
    sign-in, who."""

    user_id = IntField()
    next = StringField()
