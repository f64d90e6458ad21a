"""What the program form posts, read through a Flask-WTF form (``app.forms``). The modules
and terms are one line each, parsed by ``app.programs.services``."""

from __future__ import annotations

from typing import Any

from wtforms import StringField, TextAreaField

from app.forms import Form, strip


def _hours(value: Any) -> Any:
    """ "1,5" as people type it in much of Europe is 1.5; anything unreadable is None."""
    if value is None or isinstance(value, float):
        return value
    try:
        return float(str(value).replace(",", "."))
    except ValueError:
        return None


class ProgramForm(Form):
    slug = StringField(filters=[strip, lambda v: v.lower() if isinstance(v, str) else v])
    title = StringField()
    provider = StringField()
    course_url = StringField(filters=[strip])
    description = TextAreaField()
    hours_per_week = StringField(filters=[_hours])
    modules = TextAreaField()
    terms = TextAreaField()
