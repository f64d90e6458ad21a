"""Any platform's CSV through a mapping the lead confirms: the file's headers and first
values, a guess of which column is which, and the confirmed mapping remembered per region
and header set (the next such file imports without asking)."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.language import _
from app.progress.formats import (
    FormatError,
    ReadContext,
    check_chosen_format,
    detect_format,
)
from app.progress.importing import _moodle_profiles
from app.progress.models import ColumnMapping, ImportStatus, ProgressImport
from app.progress.screening import screen_bytes, screen_header
from app.progress.services import queue_import
from app.regions.models import Region
from app.tabular import open_text, sniff_delimiter

SAMPLE_ROWS = 5
#: the generic reader's keys a lead chooses a column for (``learner_kind`` and
#: ``completed_values`` are not columns)
COLUMN_KEYS = (
    "learner_column",
    "unit_column",
    "percent_column",
    "completed_column",
    "observed_at_column",
)


def header_key(headers: list[str]) -> str:
    return hashlib.sha256(json.dumps([h.strip() for h in headers]).encode()).hexdigest()


def peek(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and the first rows of a stored upload, decoded as the import reads it."""

    with path.open("rb") as raw:
        stream = open_text(raw)
        try:
            first = stream.readline()
            delimiter = sniff_delimiter(first)
            header = [h.strip() for h in next(csv.reader([first], delimiter=delimiter), [])]
            rows = []
            for row in csv.reader(stream, delimiter=delimiter):
                if any(cell.strip() for cell in row):
                    rows.append(row)
                if len(rows) >= SAMPLE_ROWS:
                    break
        finally:
            stream.detach()
    return header, rows


def remembered(*, region: Region, headers: list[str]) -> ColumnMapping | None:
    return db.session.scalars(
        select(ColumnMapping).where(
            ColumnMapping.region_id == region.id, ColumnMapping.header_key == header_key(headers)
        )
    ).one_or_none()


def clean(form: dict[str, str], headers: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The mapping a lead submitted, checked against the file's headers: (mapping, errors)."""
    errors: dict[str, str] = {}
    mapping: dict[str, Any] = {}
    for key in COLUMN_KEYS:
        value = (form.get(key) or "").strip()
        if value and value not in headers:
            errors[key] = _("Choose one of the file's columns.")
        elif value:
            mapping[key] = value
    if not mapping.get("learner_column"):
        errors.setdefault("learner_column", _("Choose the column that says who the learner is."))
    if not mapping.get("unit_column"):
        errors.setdefault("unit_column", _("Choose the column that names the module."))
    if not (mapping.get("percent_column") or mapping.get("completed_column")):
        errors["percent_column"] = _("Choose a percent column, a completed column, or both.")
    kind = form.get("learner_kind") or "email"
    if kind not in ("email", "employee_id"):
        errors["learner_kind"] = _("Choose an email or an employee id.")
    mapping["learner_kind"] = kind
    words = [w.strip() for w in (form.get("completed_values") or "").split(",") if w.strip()]
    if mapping.get("completed_column"):
        mapping["completed_values"] = words or ["Completed", "Yes"]
    return mapping, errors


def confirm(
    *, record: ProgressImport, mapping: dict[str, Any], headers: list[str], staff_id: int | None
) -> ColumnMapping:
    """Remember the region's mapping for these headers and queue the import with it
    (after commit). Flushes."""

    region = db.session.get(Region, record.region_id)
    assert region is not None
    row = remembered(region=region, headers=headers)
    if row is None:
        row = ColumnMapping(region_id=region.id, header_key=header_key(headers), headers=headers)
        db.session.add(row)
    row.mapping = mapping
    row.updated_at = utcnow()
    row.updated_by_id = staff_id
    record.requested_format = "generic"
    record.report = {**(record.report or {}), "options": {"mapping": mapping}}
    queue_import(record)
    return row


def plan(*, record: ProgressImport, region: Region, typed: dict[str, Any]) -> None:
    """Queue a fresh upload, unless it is in no known format and nobody said which column is
    which: then it waits for the lead (``NEEDS_MAPPING``), or takes the region's remembered
    mapping for its headers. Flushes."""

    fmt = record.requested_format
    path = Path(record.stored_path)
    try:
        with path.open("rb") as raw:
            screen_bytes(raw.read(65536))
        headers, rows = peek(path)
        if fmt not in ("auto", "generic") or typed:
            check_chosen_format(fmt, headers, ReadContext(moodle_profiles=_moodle_profiles(region)))
    except FormatError as exc:
        refuse(record=record, error=exc)
        return
    except (OSError, UnicodeError):
        queue_import(record)  # the job reports what is wrong with the file
        return
    if fmt not in ("auto", "generic") or typed:
        queue_import(record)
        return
    if fmt == "auto":
        try:
            detect_format(headers, ReadContext(moodle_profiles=_moodle_profiles(region)))
        except FormatError:
            pass
        else:
            queue_import(record)
            return
    known = remembered(region=region, headers=headers)
    if known is not None:
        record.requested_format = "generic"
        record.report = {**(record.report or {}), "options": {"mapping": known.mapping}}
        queue_import(record)
        return
    try:
        screen_header(headers, rows)
    except FormatError as exc:
        refuse(record=record, error=exc)
        return
    record.status = ImportStatus.NEEDS_MAPPING
    db.session.flush()


def refuse(*, record: ProgressImport, error: FormatError) -> None:
    """Fail an upload that is no progress export (its reason kept, its file deleted)."""
    record.status = ImportStatus.FAILED
    record.error = error.stored
    record.finished_at = utcnow()
    Path(record.stored_path).unlink(missing_ok=True)
    db.session.flush()
