"""What the roster import pages post, read through Flask-WTF forms (``app.forms``)."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField

from app.forms import Form, strip
from app.roster.files import FIELDS


class UploadForm(Form):
    file = FileField()


class ColumnsForm(Form):
    """Which of the file's columns is which field (``map-<field>``), the sheet, and who is
    in (a column and its values, one per line or comma-separated)."""

    sheet = StringField(filters=[strip])
    filter_column = StringField(filters=[strip])
    filter_values = TextAreaField()

    def mapping(self) -> dict[str, str]:
        return {field: (self[f"map_{field}"].data or "").strip() for field in FIELDS}

    def row_filter(self) -> dict[str, object] | None:
        raw = (self.filter_values.data or "").replace("\n", ",").split(",")
        values = [v.strip()[:200] for v in raw if v.strip()][:200]
        column = self.filter_column.data or ""
        return {"column": column, "values": values} if column and values else None


for _field in FIELDS:
    setattr(ColumnsForm, f"map_{_field}", StringField(name=f"map-{_field}"))
