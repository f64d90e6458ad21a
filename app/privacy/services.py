"""A person's export and erasure, and erasure after the retention period.

Erasure keeps the structure (rows, states, counts: the figures of past reports
do not change) and removes what identifies the person: their name, email and
employee id become a stable pseudonym, their free text is blanked, emails to or
about them lose their content, and their name is scrubbed from stored reports
and the audit trail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import logging
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from flask import current_app
from markupsafe import escape
from sqlalchemy import (
    JSON,
    Column,
    String,
    Table,
    Text,
    delete,
    func,
    or_,
    select,
    update,
)

from app.audit.models import AuditEvent
from app.audit.services import record
from app.db import utcnow
from app.extensions import db
from app.mail.models import OutboundAttachment, OutboundEmail
from app.people.models import Person
from app.privacy.registry import DELETED, PERSONAL
from app.progress.kept_files import forget_files
from app.progress.models import XapiStatement
from app.reports.models import Report
from app.rollouts.models import Enrollment
from app.xapi.erasure import forget_agent

log = logging.getLogger(__name__)
ERASED_NAME = "Erased person"


def pseudonym(person_id: int) -> str:
    """A stable pseudonym for a person: the same id always gives the same one."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"person:{person_id}".encode(), hashlib.sha256).hexdigest()
    return f"person-{digest[:12]}"


def _owner_columns(table: Table) -> list[Column]:
    """The columns through which a row belongs to a person: person_id, enrollment_id."""
    return [c for c in table.columns if c.name in ("person_id", "enrollment_id")]


def _person_refs(table: Table) -> list[tuple[Column, str]]:
    """The columns that name a person or an enrollment, with the table they name: by
    foreign key, or by name where the key was dropped (``term_review.enrollment_id``)."""
    if table.name == "person":
        return []
    found = [
        (c, fk.column.table.name)
        for c in table.columns
        for fk in c.foreign_keys
        if fk.column.table.name in ("person", "enrollment")
    ]
    named = {c.name for c, _ in found}
    found += [(c, c.name.removesuffix("_id")) for c in _owner_columns(table) if c.name not in named]
    return found


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode(), "bytes": len(value)}
    if hasattr(value, "value"):
        return value.value
    return value


def export_person(*, person: Person) -> dict[str, Any]:
    """Everything Summit holds about one person, table by table (reads only)."""
    enrollment_ids = list(
        db.session.scalars(select(Enrollment.id).where(Enrollment.person_id == person.id))
    )
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in db.metadata.sorted_tables:
        if table.name == "person":
            rows = [
                db.session.execute(table.select().where(table.c.id == person.id)).mappings().one()
            ]
        else:
            conditions = []
            for column, target in _person_refs(table):
                if target == "person":
                    conditions.append(column == person.id)
                elif enrollment_ids:
                    conditions.append(column.in_(enrollment_ids))
            if table.name == "outbound_email":
                conditions.append(table.c.to_address == person.email)
            if table.name == "audit_event":
                conditions.append(
                    (table.c.actor_type == "person") & (table.c.actor_id == person.id)
                )
            if not conditions:
                continue
            rows = list(db.session.execute(table.select().where(or_(*conditions))).mappings())
        if rows:
            tables[table.name] = [{k: _jsonable(v) for k, v in row.items()} for row in rows]
    return {
        "employee_id": person.employee_id,
        "exported_at": utcnow().isoformat(),
        "tables": tables,
    }


def _blank(column: Column) -> Any:
    if column.nullable:
        return None
    return {} if isinstance(column.type, JSON) else ""


def name_variants(*values: str | None) -> list[str]:
    """The forms a value may take in stored text: as is and HTML-escaped."""
    found: list[str] = []
    for value in values:
        if value and len(value) >= 3:
            forms = (value, str(escape(value)), html.escape(value), html.escape(value, quote=False))
            for form in forms:
                if form not in found:
                    found.append(form)
    return sorted(found, key=len, reverse=True)


def _scrub_texts(replacements: dict[str, str], *, region_id: int | None = None) -> None:
    """Replace names, emails and ids in stored emails, reports and audit data."""
    if not replacements:
        return
    pattern = re.compile(
        "|".join(re.escape(k) for k in sorted(replacements, key=len, reverse=True))
    )

    def scrub(text: str | None) -> str | None:
        return None if text is None else pattern.sub(lambda m: replacements[m.group(0)], text)

    text_targets: list[tuple[type, list[str]]] = [
        (OutboundEmail, ["subject", "text_body", "html_body", "to_name"]),
        (Report, ["html"]),
        (AuditEvent, ["actor_label"]),
    ]
    for model, columns in text_targets:
        for key in replacements:
            for name in columns:
                column = getattr(model, name)
                stmt = (
                    update(model)
                    .where(column.contains(key, autoescape=True))
                    .values({name: _replace_sql(column, key, replacements[key])})
                    .execution_options(synchronize_session=False)
                )
                if region_id is not None and hasattr(model, "region_id"):
                    stmt = stmt.where(model.region_id == region_id)
                db.session.execute(stmt)
    # JSON documents: few rows match; rewrite them in Python
    for model, name in ((Report, "figures"), (AuditEvent, "data")):
        column = getattr(model, name)
        rows = db.session.scalars(
            select(model).where(
                or_(
                    *[
                        column.cast(Text).contains(json.dumps(k)[1:-1], autoescape=True)
                        for k in replacements
                    ]
                )
            )
        )
        for row in rows:
            setattr(
                row,
                name,
                json.loads(scrub(json.dumps(getattr(row, name), ensure_ascii=False)) or "null"),
            )


def _scrub_token(token: str, alias: str, *, region_id: int) -> None:
    """Replace ``token`` where it stands alone (not inside a longer word, number or
    ``2026-W48``-like label) in the region's stored emails, reports and audit data."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(token)}(?![\w-])")
    targets: list[tuple[type, str, bool]] = [
        (OutboundEmail, "subject", False),
        (OutboundEmail, "text_body", False),
        (OutboundEmail, "html_body", False),
        (Report, "html", False),
        (Report, "figures", True),
        (AuditEvent, "data", True),
    ]
    for model, name, is_json in targets:
        column = getattr(model, name)
        text = column.cast(Text) if is_json else column
        rows = db.session.scalars(
            select(model).where(model.region_id == region_id, text.contains(token, autoescape=True))
        )
        for row in rows:
            value = getattr(row, name)
            if is_json:
                dumped = json.dumps(value, ensure_ascii=False)
                scrubbed = pattern.sub(alias, dumped)
                if scrubbed != dumped:
                    setattr(row, name, json.loads(scrubbed))
            elif value and pattern.search(value):
                setattr(row, name, pattern.sub(alias, value))


def _replace_sql(column: Any, old: str, new: str) -> Any:

    return func.replace(column, old, new)


def erase_person(*, person: Person, actor: Any, channel: str) -> bool:
    """Erase one person's personal data everywhere; returns False if it already was.

    Changes: the Person row (pseudonym), personal columns of every row that belongs
    to them, emails to them (emptied, attachments deleted), their name and email in
    other emails, stored reports and the audit trail. Records one audit event.
    """
    if person.erased_at is not None:
        return False
    alias = pseudonym(person.id)
    originals = {"name": person.name, "email": person.email, "employee_id": person.employee_id}
    enrollment_ids = (
        select(Enrollment.id).where(Enrollment.person_id == person.id).scalar_subquery()
    )
    _forget_xapi(person)
    erase_owned_columns(person_ids=[person.id], enrollment_ids=enrollment_ids)
    # uploaded progress files kept for a re-apply hold the person's email
    forget_files(rollout_ids=select(Enrollment.rollout_id).where(Enrollment.person_id == person.id))
    emails = select(OutboundEmail.id).where(
        or_(OutboundEmail.person_id == person.id, OutboundEmail.to_address == person.email)
    )
    db.session.execute(
        delete(OutboundAttachment)
        .where(OutboundAttachment.email_id.in_(emails.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id.in_(emails.scalar_subquery()))
        .values(
            to_address=f"{alias}@erased.invalid",
            to_name="",
            subject="(erased)",
            text_body="",
            html_body="",
            headers=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.actor_type == "person", AuditEvent.actor_id == person.id)
        .values(actor_label=alias)
        .execution_options(synchronize_session=False)
    )
    replacements = {v: alias for v in name_variants(originals["name"], originals["email"])}
    _scrub_texts(replacements)
    if originals["employee_id"]:
        # an id like "2026" is also part of "2026-W48": only whole tokens, in their region
        _scrub_token(originals["employee_id"], alias, region_id=person.region_id)
    person.name = ERASED_NAME
    person.email = f"{alias}@erased.invalid"
    person.employee_id = alias
    person.locale = None
    person.time_zone = None
    person.manager_id = None
    person.erased_at = utcnow()
    record(
        region_id=person.region_id,
        action="person.erased",
        obj=person,
        actor=actor,
        channel=channel,
        data={"pseudonym": alias},
    )
    db.session.flush()
    db.session.expire_all()
    log.info("erased person %s (%s) via %s", person.id, alias, channel)
    return True


def _forget_xapi(person: Person) -> None:
    """The LRS's documents, index rows and attachments naming the person are deleted, and
    statements naming them but matched to no enrollment are blanked like their own."""
    owned = db.session.execute(
        select(Enrollment.id, Enrollment.rollout_id).where(Enrollment.person_id == person.id)
    ).all()
    rollout_ids = sorted({rollout_id for _, rollout_id in owned})
    keys = forget_agent(
        region_id=person.region_id,
        rollout_ids=rollout_ids,
        enrollment_ids=[enrollment_id for enrollment_id, _ in owned],
        email=person.email,
    )
    if rollout_ids:
        table = XapiStatement.__table__
        values = {name: _blank(table.c[name]) for name in PERSONAL["xapi_statement"]}
        db.session.execute(
            table.update()
            .where(
                table.c.region_id == person.region_id,
                table.c.rollout_id.in_(rollout_ids),
                table.c.actor_key.in_(keys),
            )
            .values(values)
        )


def erase_owned_columns(*, person_ids: Iterable[int] | None, enrollment_ids: Any) -> None:
    """Blank the registered personal columns of rows owned by these people or enrollments,
    and delete the rows that only copy who they are."""
    person_ids = list(person_ids) if person_ids is not None else None
    for table_name in DELETED:
        table = db.metadata.tables[table_name]
        conditions = [
            owner.in_(enrollment_ids) if owner.name == "enrollment_id" else owner.in_(person_ids)
            for owner in _owner_columns(table)
            if owner.name == "enrollment_id" or person_ids is not None
        ]
        if conditions:
            db.session.execute(table.delete().where(or_(*conditions)))
    for table_name, columns in PERSONAL.items():
        table = db.metadata.tables[table_name]
        conditions = []
        for owner in _owner_columns(table):
            if owner.name == "enrollment_id":
                conditions.append(owner.in_(enrollment_ids))
            elif person_ids is not None:
                conditions.append(owner.in_(person_ids))
        if table_name == "enrollment":
            conditions.append(table.c.id.in_(enrollment_ids))
        if not conditions:
            continue
        values = {name: _blank(table.c[name]) for name in columns if name in table.c}
        db.session.execute(table.update().where(or_(*conditions)).values(values))


def personal_text_columns() -> dict[str, set[str]]:
    """Every text column of a table whose rows belong to a person (for the registry test)."""
    found: dict[str, set[str]] = {}
    for table in db.metadata.sorted_tables:
        if not _owner_columns(table):
            continue
        names = {c.name for c in table.columns if isinstance(c.type, String | Text | JSON)}
        if names:
            found[table.name] = names
    return found
