"""What the goal survey posts, read through a Flask-WTF form (``app.forms``)."""

from __future__ import annotations

from wtforms import StringField, TextAreaField

from app.forms import Form


class SurveyForm(Form):
    answer = StringField()
    comment = TextAreaField()
