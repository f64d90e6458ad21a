"""What the progress pages post, read through Flask-WTF forms (``app.forms``)."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField
from wtforms import StringField

from app.forms import Form, ValuesField
from app.progress.columns import COLUMN_KEYS
from app.progress.formats import GENERIC_KEYS


class UploadForm(Form):
    """A platform's export, its format, and (for "Other platform") the columns named on
    the upload page."""

    file = FileField()
    format = StringField(default="auto")

    def mapping(self) -> dict[str, Any]:
        """The columns named on the page, only when the learner and unit columns both are
        (else the columns page asks)."""
        mapping: dict[str, Any] = {}
        for key in GENERIC_KEYS:
            value = (self[key].data or "").strip()
            if value:
                mapping[key] = value
        if "completed_values" in mapping:
            mapping["completed_values"] = [
                w.strip() for w in mapping["completed_values"].split(",")
            ]
        if not (mapping.get("learner_column") and mapping.get("unit_column")):
            return {}
        return mapping


for _key in GENERIC_KEYS:
    setattr(UploadForm, _key, StringField())


class UnitsForm(Form):
    """The units a file could not place, each with the module it is (or "ignore")."""

    unit = ValuesField()
    module = ValuesField()


class ColumnsForm(Form):
    """Which column of an unknown file is which (``app.progress.columns.clean`` checks them
    against the file's headers)."""

    learner_kind = StringField(default="")
    completed_values = StringField(default="")

    def posted(self) -> dict[str, str]:
        return {name: str(field.data or "") for name, field in self._fields.items()}


for _key in COLUMN_KEYS:
    setattr(ColumnsForm, _key, StringField(default=""))
