"""What the call pages post, read through Flask-WTF forms (``app.forms``)."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import StopValidation

from app.forms import DayField, Form, HHMMField, IdsField, IntField, Needed, flag, strip
from app.language import N_, _

SLOT_NEEDED = N_("Choose a weekday, a time (HH:MM) and a length in minutes.")
MOVE_NEEDED = N_("Give the new date (YYYY-MM-DD) and time (HH:MM).")


def _https_or_empty(form: Any, field: Any) -> None:
    if field.data and not field.data.startswith("https://"):
        raise StopValidation(_("The join URL must start with https://."))


def _cut(limit: int) -> Any:
    return lambda value: value[:limit] if isinstance(value, str) else value


class SeriesForm(Form):
    weekday = IntField(validators=[Needed(SLOT_NEEDED)])
    time = HHMMField(validators=[Needed(SLOT_NEEDED)])
    duration = IntField(validators=[Needed(SLOT_NEEDED)])
    join_url = StringField(filters=[strip], validators=[_https_or_empty])


class MoveForm(Form):
    date = DayField(validators=[Needed(MOVE_NEEDED)])
    time = HHMMField(validators=[Needed(MOVE_NEEDED)])
    note = StringField(filters=[strip, _cut(300)])


class CancelForm(Form):
    note = StringField(filters=[strip, _cut(300)])


class AnswerForm(Form):
    answered = flag()


class AttendanceForm(Form):
    present = IdsField()
    listed = IdsField()


class AttendanceUploadForm(Form):
    report = FileField()


class NotesForm(Form):
    notes = TextAreaField(filters=[_cut(20000)])
    send = flag()


class QuestionForm(Form):
    text = TextAreaField()
    kind = StringField()

    @property
    def blocked(self) -> bool:
        return self.kind.data == "stuck"
