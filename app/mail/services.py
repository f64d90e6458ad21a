"""Queueing email through the outbox."""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from typing import Any

import psycopg
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.db import utcnow
from app.extensions import db
from app.language import babel_locale, reader_locale, supported
from app.mail.models import EmailStatus, OutboundAttachment, OutboundEmail
from app.mail.rendering import render_email
from app.readcache import note_write
from app.regions.models import Region
from app.tasks import PENDING_KEY, enqueue_after_commit

log = logging.getLogger(__name__)
DELIVERY_JOB = "jobs.mail.deliver_pending"
#: delivery jobs get ids with this prefix, so the sweep can count the queued ones
DELIVERY_PREFIX = "mail-deliver-"


class HeaderInjection(ValueError):
    """A header value built from user data carries CR, LF, NUL or an encoded word."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    #: set to show the part inline (an image referenced as cid:<content_id>)
    content_id: str | None = None


def ics_attachment(
    data: bytes, *, method: str = "REQUEST", filename: str = "invite.ics"
) -> Attachment:
    """The outbox attachment for an invitation (``text/calendar; method=…``)."""
    return Attachment(filename=filename, content_type=f"text/calendar; method={method}", data=data)


def safe_header_value(value: str) -> str:
    """Refuse a header value that could inject a header (CVE-2024-6923 and friends)."""
    if any(ch in value for ch in "\r\n\x00") or "=?" in value:
        raise HeaderInjection(f"refused header value {value!r}")
    return value


def display_name(value: str) -> str:
    """A person's name made safe for a display name: controls and encoded words removed.

    Names come from HR rosters; refusing them would leave the person without
    mail, so they are neutralised here and checked again (refused) when built.
    """
    if value.isprintable():  # most names: no control character to look for one by one
        cleaned = value
    else:
        cleaned = "".join(" " if (ch in "\r\n\t\x00" or ord(ch) < 32) else ch for ch in value)
    cleaned = cleaned.replace("=?", "= ?")
    return " ".join(cleaned.split())


def message_id_for(key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@summit>"


def new_delivery_job_id() -> str:
    return f"{DELIVERY_PREFIX}{uuid.uuid4().hex}"


#: a mailbox the header parser returns as it is (dot-atoms of ASCII letters, digits and
#: ``_+-``): checked without the parser (bulk email checks a million of them)
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
)


def checked_address(address: str) -> str:
    """``address`` if it is one plain mailbox (no name, no header tricks), else ValueError."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return address
    safe_header_value(address)
    try:
        parsed = Address(addr_spec=address.strip())
    except (IndexError, TypeError) as exc:  # the parser's way of saying "empty"
        raise ValueError(f"not an email address: {address!r}") from exc
    if not parsed.username or not parsed.domain:
        raise ValueError(f"not an email address: {address!r}")
    return parsed.addr_spec


def queue_email(
    *,
    kind: str,
    to_address: str,
    to_name: str = "",
    idempotency_key: str,
    context: dict[str, Any],
    locale: str | None = None,
    region_id: int | None = None,
    person_id: int | None = None,
    attachments: Iterable[Attachment] = (),
    headers: dict[str, str] | None = None,
    time_zone: str | None = None,
) -> OutboundEmail:
    """Render ``kind`` and add it to the outbox in the caller's transaction.

    The same ``idempotency_key`` twice returns the existing row and queues nothing
    new. Dates render in ``time_zone`` (default: the region's zone, else UTC) and
    ``locale`` (default, or when Summit does not write it: the region's, else English).
    Delivery happens in a job after commit. Flushes; never commits.
    """
    existing = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.idempotency_key == idempotency_key)
    ).one_or_none()
    if existing is not None:
        return existing
    if region_id is not None and (time_zone is None or supported(locale) is None):
        region = db.session.get(Region, region_id)
        if region is not None:
            time_zone = time_zone or region.time_zone
            # one rule for every reader (app.language.person_locale): the locale given
            # (the person's), else the region's when Summit does not write that one
            locale = reader_locale(locale, region.locale)
    rendered = render_email(kind, locale=locale, context=context, time_zone=time_zone)
    address = checked_address(to_address)
    for value in (headers or {}).values():
        safe_header_value(value)
    email = OutboundEmail(
        idempotency_key=idempotency_key,
        kind=kind,
        region_id=region_id,
        person_id=person_id,
        to_address=address,
        to_name=display_name(to_name),
        subject=display_name(rendered.subject),
        text_body=rendered.text,
        html_body=rendered.html,
        headers=headers or None,
        message_id=message_id_for(idempotency_key),
        status=EmailStatus.PENDING,
        locale=babel_locale(locale),
        attachments=[
            OutboundAttachment(
                filename=display_name(a.filename),
                content_type=a.content_type,
                data=a.data,
                content_id=a.content_id,
            )
            for a in attachments
        ],
    )
    db.session.add(email)
    db.session.flush()
    schedule_delivery()
    log.info("queued email %s (%s) for %s", email.id, kind, person_id or "staff")
    return email


def insert_outbox(rows: list[dict[str, Any]]) -> None:
    """Add rendered emails to the outbox in one multi-row INSERT (bulk email): each row
    holds :class:`OutboundEmail` columns, its address checked (:func:`checked_address`), its
    names made safe (:func:`display_name`). A row whose ``idempotency_key`` is already in
    the outbox is skipped, as :func:`queue_email` skips it. Delivery after commit. Flushes.
    """
    if not rows:
        return
    now = utcnow()
    defaults = {"status": EmailStatus.PENDING.value, "attempts": 0}
    values = [{**defaults, "created_at": now, "next_attempt_at": now, **row} for row in rows]
    dialect = db.session.get_bind().dialect.name
    if dialect != "postgresql" or not _copied(values):
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        db.session.execute(
            insert(OutboundEmail).on_conflict_do_nothing(index_elements=["idempotency_key"]),
            values,
        )
    schedule_delivery()


def _copied(values: list[dict[str, Any]]) -> bool:
    """PostgreSQL: write the rows by COPY, in a savepoint (no statement of a thousand
    parameters to build and bind, no speculative insertion per row: the multi-row INSERT
    was 30 % of a weekly email's queueing in a profile of the journey benchmark). False,
    with nothing written, when a key is already in the outbox (a run retried) or the rows
    do not all have the same columns: the caller then inserts them skipping the keys there
    are."""
    columns = list(values[0])
    known = OutboundEmail.__table__.columns.keys()
    if any(row.keys() != values[0].keys() for row in values) or not set(columns) <= set(known):
        return False
    connection = db.session.connection()
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        # a savepoint of the driver's own: the COPY is the driver's, not the session's
        cursor.execute("SAVEPOINT outbox_copy")
        try:
            # the column names are the model's (checked above), never input
            with cursor.copy(f"COPY outbound_email ({', '.join(columns)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row([_copy_value(row[name]) for name in columns])
        except psycopg.errors.UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT outbox_copy")
            return False
        cursor.execute("RELEASE SAVEPOINT outbox_copy")
    note_write(connection, "outbound_email", {row.get("region_id") for row in values})
    return True


def _copy_value(value: Any) -> Any:
    """A column value as COPY takes it: an instant as naive UTC (as ``UTCDateTime``
    stores it), anything else as it is."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def retry_failed(*, email_ids: Iterable[int]) -> int:
    """Put failed outbox rows back to pending, due now; returns how many. Flushes."""

    result = db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id.in_(list(email_ids)), OutboundEmail.status == EmailStatus.FAILED)
        .values(
            status=EmailStatus.PENDING,
            next_attempt_at=utcnow(),
            attempts=0,
            lease_owner=None,
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    if result.rowcount:
        schedule_delivery()
    return int(result.rowcount or 0)


def schedule_delivery() -> None:
    """Deliver the outbox after commit: one delivery job per transaction, however many
    emails it queued."""
    pending = db.session.info.get(PENDING_KEY, [])
    if not any(job.func == DELIVERY_JOB for job in pending):
        enqueue_after_commit(
            DELIVERY_JOB, queue="mail", job_id=new_delivery_job_id(), job_timeout=600
        )


def hold_emails(*, email_ids: Iterable[int], until: datetime) -> int:
    """Keep pending outbox rows from leaving before ``until`` (an action's grace period);
    returns how many. Flushes."""
    ids = list(email_ids)
    if not ids:
        return 0
    result = db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id.in_(ids), OutboundEmail.status == EmailStatus.PENDING)
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return int(result.rowcount or 0)


def cancel_held_emails(*, email_ids: Iterable[int], now: datetime | None = None) -> bool:
    """Take pending, unclaimed outbox rows back before they leave (an action withdrawn).

    All or nothing: when any of them was sent or is being sent (a worker holds its lease),
    nothing is cancelled and False comes back. Deletes the rows (their idempotency keys
    are free again for a later decision). Flushes.
    """
    ids = list(email_ids)
    if not ids:
        return True
    now = now or utcnow()
    takeable = and_(
        OutboundEmail.id.in_(ids),
        OutboundEmail.status == EmailStatus.PENDING,
        or_(OutboundEmail.lease_until.is_(None), OutboundEmail.lease_until < now),
    )
    # lock the rows (PostgreSQL) so a delivery job cannot claim one between check and delete
    found = list(db.session.scalars(select(OutboundEmail.id).where(takeable).with_for_update()))
    existing = db.session.scalar(
        select(func.count()).select_from(OutboundEmail).where(OutboundEmail.id.in_(ids))
    )
    if len(found) != existing:
        return False
    db.session.execute(
        delete(OutboundAttachment)
        .where(OutboundAttachment.email_id.in_(found))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(OutboundEmail)
        .where(OutboundEmail.id.in_(found))
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    log.info("cancelled held emails %s", found)
    return True
