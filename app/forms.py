"""Forms: every view reads what a browser posts through a Flask-WTF form of its package
(``app/<capability>/forms.py``), never by picking at ``request.form`` itself.

:class:`Form` is the base. Its own CSRF field is off because ``app.csrf`` already checks
the token (and the Origin) of every POST before any view runs; the pages keep writing
their fields by hand, with the names the form declares.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, Field
from wtforms.validators import StopValidation
from wtforms.widgets import TextInput

from app.calendar import parse_hhmm
from app.language import gettext


class Form(FlaskForm):
    class Meta:
        csrf = False  # app.csrf checks every POST first

    def first_error(self) -> str | None:
        """The first field's first message (forms that answer with one flash)."""
        for messages in self.errors.values():
            if messages:
                return str(messages[0])
        return None


def text_of(field: Field, *, limit: int | None = None) -> str:
    """A text field's value, stripped (and cut at ``limit``); '' when absent."""
    value: Any = field.data or ""
    value = str(value).strip()
    return value[:limit] if limit is not None else value


class Needed:
    """The field must hold a value (parsed: a bad number or time counts as none)."""

    def __init__(self, message: str) -> None:
        #: a catalog message (marked with ``N_`` where the form is defined)
        self.message = message

    def __call__(self, form: Any, field: Field) -> None:
        if field.data is None or field.data == "":
            raise StopValidation(gettext(self.message))


class IntField(Field):
    """A whole number, or None when absent or not a number (no error of its own)."""

    widget = TextInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            self.data = int(str(valuelist[0]).strip()) if valuelist else None
        except ValueError:
            self.data = None


class HHMMField(Field):
    """A time of day as people type it (``app.calendar.parse_hhmm``), or None."""

    widget = TextInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = parse_hhmm(valuelist[0]) if valuelist else None


class DayField(Field):
    """An ISO date (``YYYY-MM-DD``), or None."""

    widget = TextInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            self.data = date.fromisoformat(str(valuelist[0]).strip()) if valuelist else None
        except ValueError:
            self.data = None


class IdsField(Field):
    """Every numeric value posted under the name (checkboxes of row ids), as a set."""

    widget = TextInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = {int(v) for v in valuelist if str(v).isdigit()}

    def process_data(self, value: Any) -> None:
        self.data = set(value or ())


def flag(**kwargs: Any) -> BooleanField:
    """A checkbox or hidden input posted as ``1`` (anything else, or nothing, is no)."""
    return BooleanField(false_values=(False, "false", "", "0", "no"), **kwargs)


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class ValuesField(Field):
    """Every value posted under the name, in order (inputs repeated per row)."""

    widget = TextInput()

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = [str(v) for v in valuelist]

    def process_data(self, value: Any) -> None:
        self.data = list(value or ())
