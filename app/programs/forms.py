"""What the program form posts, read through a Flask-WTF form (``app.forms``): the
program's fields, and a row per module and per term (``module-<row>-<field>``,
``term-<row>-<field>``; a row whose fields are all empty is no row, one with "remove"
ticked is dropped)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import request
from wtforms import StringField, TextAreaField

from app.forms import Form, strip
from app.programs.services import ModuleSpec, TermSpec

MODULE_FIELDS = ("key", "title", "hours", "due", "order")
TERM_FIELDS = ("title", "starts_on", "ends_on")
ROW_RE = re.compile(r"^(module|term)-(\d{1,3})-([a-z_]+)$")
#: empty rows offered under the filled ones (more with "add a row")
SPARE_MODULE_ROWS = 2
SPARE_TERM_ROWS = 1


def _hours(value: Any) -> Any:
    """ "1,5" as people type it in much of Europe is 1.5; anything unreadable is None."""
    if value is None or isinstance(value, float):
        return value
    try:
        return float(str(value).replace(",", "."))
    except ValueError:
        return None


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _int(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


class ProgramForm(Form):
    slug = StringField(filters=[strip, lambda v: v.lower() if isinstance(v, str) else v])
    title = StringField()
    provider = StringField()
    course_url = StringField(filters=[strip])
    description = TextAreaField()
    hours_per_week = StringField(filters=[_hours])
    #: "module" or "term": add an empty row of that kind and show the form again
    add = StringField(filters=[strip])

    def rows(self, kind: str) -> list[dict[str, Any]]:
        """The posted rows of ``kind`` in their order on the page, each a dict of its
        fields (strings) with its ``row`` number; empty rows are left out."""
        fields = MODULE_FIELDS if kind == "module" else TERM_FIELDS
        found: dict[int, dict[str, Any]] = {}
        for name, value in request.form.items():
            match = ROW_RE.match(name)
            if match and match.group(1) == kind and match.group(3) in (*fields, "remove"):
                found.setdefault(int(match.group(2)), {})[match.group(3)] = str(value)
        rows = []
        for row in sorted(found):
            values = {f: found[row].get(f, "").strip() for f in fields}
            values["remove"] = bool(found[row].get("remove"))
            if any(values[f] for f in fields if f not in ("due", "order")):
                rows.append({"row": row, **values})
        return rows

    def modules(self) -> list[ModuleSpec]:
        """The module rows kept, in the order given (then the order on the page)."""
        rows = [r for r in self.rows("module") if not r["remove"]]
        rows.sort(key=lambda r: (_int(r["order"]) is None, _int(r["order"]) or 0, r["row"]))
        return [
            ModuleSpec(
                key=r["key"],
                title=r["title"],
                estimated_hours=_hours(r["hours"]) if r["hours"] else None,
                row=r["row"],
                due_row=_int(r["due"]),
            )
            for r in rows
        ]

    def terms(self) -> list[TermSpec]:
        """The term rows kept, in their order on the page (which is their date order)."""
        return [
            TermSpec(
                title=r["title"],
                starts_on=_day(r["starts_on"]),
                ends_on=_day(r["ends_on"]),
                row=r["row"],
            )
            for r in self.rows("term")
            if not r["remove"]
        ]
