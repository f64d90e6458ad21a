"""Voiding xAPI statements, and what a void does to module progress.

A statement with the verb ``http://adlnet.gov/expapi/verbs/voided`` and a StatementRef
object voids its target (xAPI 1.0.3, Data §2.3.2): the target stays stored but is only
returned when asked for by ``voidedStatementId``.

What a void changes:

- The target is marked ``voided_by`` / ``voided_at``. Only a statement of the same rollout
  can be voided; an id unknown to the rollout (never sent, or another rollout's) is
  accepted and stored, and voids nothing until a statement with that id arrives from the
  same rollout: that one is stored voided (a client replaying its queue out of order) and
  changes no progress. A voiding statement cannot be voided (400).
- Module progress of the target's learner and module is recomputed from that learner's
  remaining non-voided statements for the module, replayed in the order they were observed
  with the rule new statements follow (completion sticks, the latest percentage wins). With
  none left, the progress row is deleted. So voiding a mistaken "completed" takes the
  module back to what the other statements say.
- Progress last written by a file import (``source`` other than ``"xapi"``) is kept: the
  platform's export is its own account of the learner, newer than what was voided.
- An enrollment is never moved back. A learner already COMPLETED (announced, audited,
  ``enrollment_completed`` sent) or ACTIVE stays so; the recomputed progress shows on
  dashboards and in reports, and a lead can act on it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.progress.models import XapiStatement
from app.regions.models import Region
from app.rollouts.models import Rollout
from app.xapi.errors import XapiError
from app.xapi.module_progress import progress_rows, progress_step
from app.xapi.statements import VOIDED, ParsedStatement, parse_statement

log = logging.getLogger(__name__)


def check_voidable(
    *, rollout: Rollout, targets: set[str], batch: dict[str, ParsedStatement]
) -> None:
    """Raise XapiError(400) when a target is a voiding statement, in the batch or stored."""
    for target in sorted(targets):
        if target in batch and batch[target].voids is not None:
            raise XapiError(400, f"statement {target} voids a statement and cannot be voided")
    if not targets:
        return
    stored_voiding = db.session.scalars(
        select(XapiStatement.statement_id).where(
            XapiStatement.rollout_id == rollout.id,
            XapiStatement.statement_id.in_(sorted(targets)),
            XapiStatement.verb == VOIDED,
        )
    ).first()
    if stored_voiding is not None:
        raise XapiError(400, f"statement {stored_voiding} voids a statement and cannot be voided")


def void(*, region: Region, rollout: Rollout, voiding: dict[str, str], now: datetime) -> int:
    """Mark the rollout's statements targeted by ``voiding`` (voiding id → target id) voided
    and recompute the progress they had set (see the module docstring). Targets already
    voided keep their first void. Returns how many statements were voided. Flushes.
    """
    by_target = {target: sid for sid, target in voiding.items()}
    targets = db.session.scalars(
        select(XapiStatement).where(
            XapiStatement.rollout_id == rollout.id,
            XapiStatement.statement_id.in_(sorted(by_target)),
            XapiStatement.voided_by.is_(None),
        )
    ).all()
    touched: set[tuple[int, int]] = set()
    for target in targets:
        target.voided_by = by_target[target.statement_id]
        target.voided_at = now
        if target.ignored_reason is None and target.enrollment_id and target.module_id:
            touched.add((target.enrollment_id, target.module_id))
        log.info(
            "rollout %s: xAPI statement %s voided by %s",
            rollout.slug,
            target.statement_id,
            target.voided_by,
        )
    db.session.flush()
    if touched:
        recompute_progress(rollout=rollout, pairs=touched)
    return len(targets)


def recompute_progress(*, rollout: Rollout, pairs: set[tuple[int, int]]) -> None:
    """Rebuild xAPI-written progress of (enrollment id, module id) ``pairs`` from their
    remaining non-voided statements; delete a row none is left for. Two queries. Flushes.
    """
    enrollment_ids = sorted({e for e, _ in pairs})
    module_ids = sorted({m for _, m in pairs})
    rows = progress_rows(pairs)
    remaining: dict[tuple[int, int], list[XapiStatement]] = defaultdict(list)
    for statement in db.session.scalars(
        select(XapiStatement)
        .where(
            XapiStatement.rollout_id == rollout.id,
            XapiStatement.enrollment_id.in_(enrollment_ids),
            XapiStatement.module_id.in_(module_ids),
            XapiStatement.ignored_reason.is_(None),
            XapiStatement.voided_by.is_(None),
        )
        .order_by(XapiStatement.stored_at, XapiStatement.id)
    ):
        assert statement.enrollment_id is not None and statement.module_id is not None
        remaining[(statement.enrollment_id, statement.module_id)].append(statement)
    for pair in sorted(pairs):
        row = rows.get(pair)
        if row is None or row.source != "xapi":
            continue  # an import wrote it last: the platform's own account stands
        folded = fold_progress(remaining.get(pair, []))
        if folded is None:
            db.session.delete(row)
        else:
            row.percent, row.completed, row.observed_at = folded
    db.session.flush()


def fold_progress(statements: list[XapiStatement]) -> tuple[float, bool, datetime] | None:
    """(percent, completed, observed at) the statements give, replayed in observed order
    (stored order breaks ties) through :func:`app.xapi.module_progress.progress_step`, the rule new
    ones are applied by; None for no statements (erased ones count as none)."""
    replay = []
    for position, statement in enumerate(statements):
        try:
            parsed = parse_statement(statement.payload)
        except XapiError:
            continue  # the learner's data was erased ({} left): it no longer says anything
        replay.append((parsed.observed_at or statement.stored_at, position, parsed))
    if not replay:
        return None
    replay.sort(key=lambda item: (item[0], item[1]))
    percent, completed = 0.0, False
    for _, _, parsed in replay:
        percent, completed = progress_step(percent, completed, parsed)
    return percent, completed, replay[-1][0]
