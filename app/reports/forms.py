"""What the report pages post, read through Flask-WTF forms (``app.forms``)."""

from __future__ import annotations

from wtforms import StringField

from app.forms import Form


class SubscriptionForm(Form):
    action = StringField()
