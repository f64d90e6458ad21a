"""Delivering the outbox: leased batches, one reused connection, fenced sends.

A delivery job claims a batch of due rows by writing its token and a lease
(``lease_until``) on them, commits, then sends them one by one over one
connection. Sends are fenced: right before each one, the job extends that row's
lease with one conditional UPDATE (still its owner, lease not run out, with a
margin); if that changes no row, another worker has taken it over (this one was
paused past its lease: a VM freeze, a stopped container) and the row is skipped.
One send takes at most its deadline (``MAIL_SEND_TIMEOUT`` for each attempt inside
it: one for SMTP, two for Graph) and the lease is longer than that with a margin
(shorter settings are refused), so a row is sent only while its lease holds.
Each acceptance is recorded at once, with the owner in the condition: a worker
killed or paused mid-batch repeats at most the one message in flight, with the
same Message-ID (derived from the idempotency key). Rows whose lease expires are
due again: the scheduler's sweep re-enqueues delivery.

Outcomes: accepted → ``sent``; a 4xx for this message → this row alone backs off
(``failed`` with the reason after ``MAIL_MAX_ATTEMPTS`` or ``MAIL_MAX_AGE_HOURS``)
and the batch goes on; a connection failure (connect error, 421, timeout,
disconnect, throttling) stops the batch and the rest goes back due in
``CONNECTION_PAUSE``; 5xx → ``failed`` at once. When the sending budget is spent,
the rest of the batch goes back untouched, due at the start of the next window:
nothing is dropped.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import Message

from flask import current_app
from sqlalchemy import Integer, and_, bindparam, case, or_, select, update

from app.db import utcnow
from app.extensions import db
from app.mail.budget import budget_for
from app.mail.dispatch import (
    claim_batch,
    due_count,
    kick_delivery,
    schedule_delivery_at,
)
from app.mail.mime import build_message
from app.mail.models import EmailStatus, OutboundEmail
from app.mail.recorder import Prepared, execute, recorder, rows_soon, write
from app.mail.services import (
    HeaderInjection,
)
from app.mail.transports import (
    ConnectionMailError,
    NotReady,
    PermanentMailError,
    TransientMailError,
    Transport,
    get_transport,
    transport_name,
)
from app.settings import MAIL_LEASE_MARGIN_SECONDS

log = logging.getLogger(__name__)

#: waits after the 1st, 2nd, ... transient failure
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
)
#: after a connection failure, the rest of the batch is due again this much later
CONNECTION_PAUSE = timedelta(seconds=30)
#: the fencing margin: a lease with less left than this is not extended (clock skew)
LEASE_MARGIN = timedelta(seconds=MAIL_LEASE_MARGIN_SECONDS)


def backoff(attempts: int) -> timedelta:
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


#: one statement, compiled once, for the hot path (bound per message)
_SENT = (
    update(OutboundEmail)
    .where(
        OutboundEmail.id == bindparam("email_id"),
        OutboundEmail.lease_owner == bindparam("owner"),
    )
    .values(
        status=EmailStatus.SENT,
        sent_at=bindparam("sent_at"),
        attempts=bindparam("attempts"),
        lease_owner=None,
        lease_until=None,
        last_error=None,
    )
)


#: the fence before each send: still ours, not run out (with a margin), then held anew
_HOLD = (
    update(OutboundEmail)
    .where(
        OutboundEmail.id == bindparam("email_id"),
        OutboundEmail.lease_owner == bindparam("owner"),
        OutboundEmail.status == EmailStatus.PENDING,
        OutboundEmail.lease_until > bindparam("not_before"),
    )
    .values(lease_until=bindparam("until"))
)


def _when_sent(value: object, otherwise: object) -> object:
    return case((OutboundEmail.id == bindparam("sent_id"), value), else_=otherwise)


_HOLD_RETURNING = Prepared(_HOLD.returning(OutboundEmail.id))

#: the acceptance of the message just sent and the fence of the next one, in one round
#: trip (one autocommit statement): ``_SENT`` on row ``sent_id``, ``_HOLD`` on ``email_id``
_SENT_AND_HOLD = Prepared(
    update(OutboundEmail)
    .where(
        OutboundEmail.id.in_([bindparam("sent_id"), bindparam("email_id")]),
        OutboundEmail.lease_owner == bindparam("owner"),
        or_(
            OutboundEmail.id == bindparam("sent_id"),
            and_(
                OutboundEmail.status == EmailStatus.PENDING,
                OutboundEmail.lease_until > bindparam("not_before"),
            ),
        ),
    )
    .values(
        status=_when_sent(EmailStatus.SENT, OutboundEmail.status),
        sent_at=_when_sent(
            bindparam("sent_at", type_=OutboundEmail.sent_at.type), OutboundEmail.sent_at
        ),
        attempts=_when_sent(bindparam("attempts", type_=Integer()), OutboundEmail.attempts),
        lease_owner=_when_sent(None, OutboundEmail.lease_owner),
        lease_until=_when_sent(None, bindparam("until", type_=OutboundEmail.lease_until.type)),
        last_error=_when_sent(None, OutboundEmail.last_error),
    )
    .returning(OutboundEmail.id)
)


def _hold_params(token: str, email_id: int, lease: timedelta) -> dict[str, object]:
    now = utcnow()
    return {
        "email_id": email_id,
        "owner": token,
        "not_before": now + LEASE_MARGIN,
        "until": now + lease,
    }


class _Fence:
    """The fence of the next message (``_HOLD``), started before its send and
    read by the transport's ``ready`` check just before the message is handed over (SMTP:
    after the envelope, before DATA; with PIPELINING after the server's 354, before the
    message's bytes): on PostgreSQL the round trip overlaps the server's answers to MAIL
    and RCPT (and DATA). With ``accepted`` (the message sent just before, and its
    attempts), that acceptance is recorded in the same statement: the next message is
    handed over only once the previous one's acceptance is committed, so a killed worker
    still repeats at most the one message in flight."""

    def __init__(
        self, token: str, email_id: int, lease: timedelta, accepted: tuple[int, int] | None
    ) -> None:
        self.email_id = email_id
        self.accepted = accepted
        params = _hold_params(token, email_id, lease)
        if accepted is None:
            self._rows = rows_soon(_HOLD_RETURNING, params)
        else:
            params.update(sent_id=accepted[0], sent_at=utcnow(), attempts=accepted[1])
            self._rows = rows_soon(_SENT_AND_HOLD, params)
        self._held: bool | None = None

    def __call__(self) -> bool:
        """Still ours (waits for the statement; raises its error)."""
        if self._held is None:
            changed = set(self._rows())
            if self.accepted is not None and self.accepted[0] not in changed:
                log.warning(
                    "email %s: sent, but its lease had passed to another worker",
                    self.accepted[0],
                )
            self._held = self.email_id in changed
        return self._held


def _record_sent(token: str, email_id: int, attempts: int) -> None:
    params = {"email_id": email_id, "owner": token, "sent_at": utcnow(), "attempts": attempts}
    if execute(_SENT, params) != 1:
        log.warning("email %s: sent, but its lease had passed to another worker", email_id)


def _set(token: str, ids: Sequence[int], **values: object) -> None:
    write(
        update(OutboundEmail)
        .where(OutboundEmail.id.in_(ids), OutboundEmail.lease_owner == token)
        .values(**values)
    )


def _release(token: str, ids: Sequence[int], due_at: datetime | None = None) -> None:
    """Give rows back unsent (budget spent, server down): due again at ``due_at``."""
    if not ids:
        return
    values: dict[str, object] = {"lease_owner": None, "lease_until": None}
    if due_at is not None:
        values["next_attempt_at"] = due_at
    write(
        update(OutboundEmail)
        .where(OutboundEmail.id.in_(ids), OutboundEmail.lease_owner == token)
        .values(**values)
    )


# -- delivering -----------------------------------------------------------------------


def deliver_pending(limit: int | None = None, *, time_budget: float = 240.0) -> int:
    """Send due outbox rows in leased batches until none is due (or ``time_budget``
    seconds pass, or ``limit`` rows were handled); returns how many were sent.

    Commits after every claim and every outcome (this is the job's own unit of work).
    """
    settings = current_app.extensions["summit.settings"]
    transport = get_transport(settings)
    token = uuid.uuid4().hex
    lease = timedelta(seconds=settings.mail_lease_seconds)
    size = settings.mail_batch_size if limit is None else min(limit, settings.mail_batch_size)
    deadline = time.monotonic() + time_budget
    handled = sent = 0
    db.session.commit()  # start the claim in a fresh transaction
    try:
        with recorder():
            while time.monotonic() < deadline and (limit is None or handled < limit):
                ids = claim_batch(token, size, lease)
                if not ids:
                    break
                if len(ids) == size:
                    kick_delivery()  # let idle workers share a large backlog
                batch_sent, batch_handled, stop = _send_batch(
                    transport, token, ids, settings.mail_default_sender, lease
                )
                sent += batch_sent
                handled += batch_handled
                if stop:
                    break
    finally:
        transport.close()
    if time.monotonic() >= deadline and due_count():
        kick_delivery()
    if sent:
        log.info("delivered %s emails (transport %s)", sent, transport_name(transport))
    return sent


def _send_batch(
    transport: Transport, token: str, ids: list[int], sender: str, lease: timedelta
) -> tuple[int, int, bool]:
    settings = current_app.extensions["summit.settings"]
    rows = db.session.scalars(
        select(OutboundEmail).where(OutboundEmail.id.in_(ids)).order_by(OutboundEmail.id)
    ).all()
    items = [(row.id, row.attempts, row.created_at, _safe_build(row, sender)) for row in rows]
    db.session.commit()  # no read transaction held while sending
    budget = budget_for(transport_name(transport))
    sent = handled = 0
    # the rest of the batch is held anew well before its lease could run out under a send
    slack = lease.total_seconds() - settings.mail_send_deadline_seconds - LEASE_MARGIN.seconds
    renew_every = max(slack / 2, 1.0)
    renewed = time.monotonic()
    #: the message just accepted (id, attempts), its acceptance recorded together with
    #: the fence of the next one; never more than one, and always before the next send
    accepted: tuple[int, int] | None = None
    try:
        for index, (email_id, attempts, created_at, built) in enumerate(items):
            if time.monotonic() - renewed >= renew_every:
                _extend_lease(token, [i for i, *_ in items[index:]], lease)
                renewed = time.monotonic()
            if isinstance(built, Exception):
                _record_failed(token, email_id, attempts, f"refused to build: {built}")
                handled += 1
                continue
            wait_until = budget.take()
            if wait_until is not None:
                rest = [i for i, *_ in items[index:]]
                _release(token, rest, due_at=wait_until)
                schedule_delivery_at(wait_until)
                log.info("sending budget spent: %s emails wait until %s", len(rest), wait_until)
                return sent, handled, True
            fence = _Fence(token, email_id, lease, accepted)
            outcome: Exception | None = None
            try:
                transport.send(built, ready=fence)
            except (TransientMailError, PermanentMailError, NotReady) as exc:
                outcome = exc
            held = fence()  # the statement's answer (also when the send failed before asking)
            accepted = None
            if not held:
                log.warning("email %s: lease lost to another worker, not sent here", email_id)
                continue
            if isinstance(outcome, ConnectionMailError):
                _record_retry(token, email_id, attempts, created_at, outcome)
                handled += 1
                due = utcnow() + max(CONNECTION_PAUSE, timedelta(seconds=outcome.retry_after or 0))
                rest = [i for i, *_ in items[index + 1 :]]
                _release(token, rest, due_at=due)
                schedule_delivery_at(due)
                log.warning(
                    "mail server unavailable (%s): %s emails wait until %s",
                    outcome,
                    len(rest),
                    due,
                )
                return sent, handled, True
            if isinstance(outcome, TransientMailError):
                _record_retry(token, email_id, attempts, created_at, outcome)
                handled += 1
                continue
            if isinstance(outcome, PermanentMailError):
                _record_failed(token, email_id, attempts + 1, str(outcome))
                handled += 1
                continue
            accepted = (email_id, attempts + 1)
            sent += 1
            handled += 1
    finally:
        if accepted is not None:
            _record_sent(token, *accepted)
    return sent, handled, False


def _safe_build(row: OutboundEmail, sender: str) -> Message | Exception:
    try:
        return build_message(row, sender)
    except (HeaderInjection, ValueError, UnicodeError) as exc:
        return exc


def _extend_lease(token: str, ids: Sequence[int], lease: timedelta) -> None:
    """Hold the rest of a batch longer: only rows still ours and not run out."""
    if ids:
        now = utcnow()
        write(
            update(OutboundEmail)
            .where(
                OutboundEmail.id.in_(ids),
                OutboundEmail.lease_owner == token,
                OutboundEmail.lease_until > now,
            )
            .values(lease_until=now + lease)
        )


def _record_retry(
    token: str, email_id: int, attempts: int, created_at: datetime, exc: TransientMailError
) -> datetime:
    """This row alone backs off, or ends ``failed`` once out of attempts or too old."""
    settings = current_app.extensions["summit.settings"]
    attempts += 1
    now = utcnow()
    if attempts >= settings.mail_max_attempts:
        _record_failed(token, email_id, attempts, f"gave up after {attempts} attempts: {exc}")
        return now
    age = now - created_at
    if age >= timedelta(hours=settings.mail_max_age_hours):
        hours = int(age.total_seconds() // 3600)
        _record_failed(
            token, email_id, attempts, f"gave up after {hours} h, {attempts} attempts: {exc}"
        )
        return now
    wait = backoff(attempts)
    if exc.retry_after is not None:
        wait = max(wait, timedelta(seconds=math.ceil(exc.retry_after)))
    due = now + wait
    _set(
        token,
        [email_id],
        attempts=attempts,
        last_error=str(exc)[:2000],
        next_attempt_at=due,
        lease_owner=None,
        lease_until=None,
    )
    log.warning("email %s: transient failure (%s), next attempt at %s", email_id, exc, due)
    return due


def _record_failed(token: str, email_id: int, attempts: int, error: str) -> None:
    _set(
        token,
        [email_id],
        status=EmailStatus.FAILED,
        attempts=attempts,
        last_error=error[:2000],
        lease_owner=None,
        lease_until=None,
    )
    log.error("email %s failed permanently: %s", email_id, error)
