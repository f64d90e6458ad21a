"""Term close: a verdict per enrollment in a constant number of SQL statements."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Select,
    String,
    case,
    cast,
    event,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError

from app.audit import services as audit
from app.audit.models import AuditEvent
from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.programs.models import Term
from app.progress.models import ModuleProgress
from app.progress.queries import is_stale, max_age, progress_freshness
from app.regions.models import Region
from app.rollouts.models import Enrollment, Rollout
from app.terms.common import (
    IN_TERM_STATES,
    _launched_rollouts,
    dialect_insert,
    grace_days,
    local_today,
)
from app.terms.models import OPEN_VERDICTS, TermClose, TermReview, Verdict
from app.terms.pace import pace_for

log = logging.getLogger(__name__)


# --- term close ---------------------------------------------------------------------------


@dataclass
class TermCloseResult:
    on_track: int
    candidates: int
    excused: int
    confirmed: int
    changed: int
    statements: int


class _StatementCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.count += 1


def due_term_closes(*, region: Region, now: datetime | None = None) -> list[TermCloseResult]:
    """Daily: close every term whose last day is more than the grace period ago
    (``[terms] grace_days`` in the region file, 7 by default) and not yet closed, in the
    rollouts whose progress data is no older than the region allows (``[progress]
    max_age_days``, 7 by default); the others wait for newer data or the lead's confirmation
    (``close_term`` from the review page or ``summit term close --accept-stale-progress``)."""
    now = now or utcnow()
    today = local_today(region, now)
    results = []
    rollouts = _launched_rollouts(region)
    freshness = progress_freshness([r.id for r in rollouts])
    for rollout in rollouts:
        if is_stale(freshness.get(rollout.id), region=region, now=now):
            # a verdict on old progress names people who did their part: the lead decides
            log.warning(
                "terms of rollout %s not closed: progress data is older than %s days",
                rollout.slug,
                max_age(region).days,
            )
            continue
        closed = set(
            db.session.scalars(select(TermClose.term_id).where(TermClose.rollout_id == rollout.id))
        )
        for term in rollout.program.terms:
            if term.id in closed or term.ends_on + timedelta(days=grace_days(region)) >= today:
                continue
            results.append(
                close_term(region=region, rollout=rollout, term=term, now=now, channel="job")
            )
    return results


def close_term(
    *,
    region: Region,
    rollout: Rollout,
    term: Term,
    now: datetime | None = None,
    channel: str = "cli",
) -> TermCloseResult:
    """Give every enrollment a verdict for ``term``: on track when it completed every module
    required by the term's end, else free-rider candidate. Reviewed verdicts (excused,
    confirmed) never change; running it again changes nothing unless progress changed.
    Audited: the close (one event: rule and counts) and each verdict of an earlier close
    that changes (one event per learner); each review row keeps its verdict's inputs.
    A constant number of SQL statements, whatever the number of learners (``statements``
    in the result counts them). Flushes.
    """
    now = now or utcnow()
    pace = pace_for(rollout.program, term)
    ids = _CloseIds(
        region_id=region.id,
        rollout_id=rollout.id,
        term_id=term.id,
        term_number=term.number,
        required_ids=pace.required_ids,
    )
    db.session.flush()
    counter = _StatementCounter()
    # counted on this session's connection, not the shared engine: concurrent closes
    # (other threads, other requests) neither count each other's statements nor race on
    # the engine's listener list while one of them removes its counter
    connection = db.session.connection()
    event.listen(connection, "before_cursor_execute", counter)
    try:
        changed, counts = _close(ids, now=now, channel=channel)
        closing = _record_close(ids, now=now, counts=counts)
        if changed:
            # the close itself: its rule and the counts of the verdicts it gave (a verdict
            # of an earlier close that changes also has an event of its own)
            audit.record(
                region_id=ids.region_id,
                action="term.closed",
                obj=closing,
                channel=channel,
                data={
                    "term": ids.term_number,
                    "rollout_id": ids.rollout_id,
                    "rule": f"on track = all {len(ids.required_ids)} required modules completed",
                    "on_track": closing.on_track,
                    "candidates": closing.candidates,
                    "changed": changed,
                },
            )
            db.session.flush()
    finally:
        event.remove(connection, "before_cursor_execute", counter)
    # rows changed behind the ORM's back: reload them when next read
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, TermReview):
            db.session.expire(obj)
    result = TermCloseResult(
        on_track=counts.get(Verdict.ON_TRACK, 0),
        candidates=counts.get(Verdict.FREE_RIDER_CANDIDATE, 0),
        excused=counts.get(Verdict.EXCUSED, 0),
        confirmed=counts.get(Verdict.CONFIRMED_FREE_RIDER, 0),
        changed=changed,
        statements=counter.count,
    )
    log.info(
        "term %s of %s closed: %s on track, %s candidates, %s changed, %s SQL statements",
        term.number,
        rollout.slug,
        result.on_track,
        result.candidates,
        changed,
        counter.count,
    )
    return result


def _record_close(ids: _CloseIds, *, now: datetime, counts: dict[Any, int]) -> TermClose:
    """Insert the term's close or update its counts in one INSERT … ON CONFLICT DO UPDATE:
    closes racing each other (the daily job, a lead's click, the CLI) all succeed."""
    on_track = counts.get(Verdict.ON_TRACK, 0)
    candidates = counts.get(Verdict.FREE_RIDER_CANDIDATE, 0)
    stmt = dialect_insert()(TermClose).values(
        region_id=ids.region_id,
        rollout_id=ids.rollout_id,
        term_id=ids.term_id,
        first_closed_at=now,
        last_closed_at=now,
        on_track=on_track,
        candidates=candidates,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[TermClose.rollout_id, TermClose.term_id],
        set_={"last_closed_at": now, "on_track": on_track, "candidates": candidates},
    )
    db.session.execute(stmt)
    return db.session.scalars(
        select(TermClose)
        .where(TermClose.rollout_id == ids.rollout_id, TermClose.term_id == ids.term_id)
        .execution_options(populate_existing=True)
    ).one()


@dataclass(frozen=True)
class _CloseIds:
    region_id: int
    rollout_id: int
    term_id: int
    term_number: int
    required_ids: frozenset[int]


def _close(ids: _CloseIds, *, now: datetime, channel: str) -> tuple[int, Counter[Any]]:
    """The set-based statements of a close: insert the new verdicts, update the changed
    ones, audit them (a constant number of statements, whatever the number of learners).
    Returns how many verdicts were set or changed, and the term's verdicts in the rollout,
    counted."""
    expected = len(ids.required_ids)
    # marks the rows this run sets or changes (wall clock, so two runs never share it);
    # ``restamp`` marks a verdict of an earlier close that this run changes
    stamp = utcnow()
    restamp = stamp + timedelta(microseconds=1)
    required = ids.required_ids or frozenset({-1})

    # modules done per enrollment in scope: one aggregate over the rollout's progress,
    # joined (not a subquery per learner)
    in_term = (Enrollment.rollout_id == ids.rollout_id) & Enrollment.state.in_(IN_TERM_STATES)
    completed = (
        (ModuleProgress.enrollment_id == Enrollment.id)
        & ModuleProgress.completed.is_(True)
        & ModuleProgress.module_id.in_(required)
    )
    done_now = func.count(ModuleProgress.id)

    def verdict_for(done: Any) -> Any:
        return case(
            (done >= expected, Verdict.ON_TRACK.value), else_=Verdict.FREE_RIDER_CANDIDATE.value
        )

    # 1. (run after 2) enrollments without a review of this term get their verdict
    # directly, straight from the aggregate (one pass over the rollout's enrollments, not
    # the aggregate joined back to enrollment for its region)
    source = (
        select(
            Enrollment.region_id,
            Enrollment.id,
            literal(ids.term_id),
            literal(expected),
            done_now,
            verdict_for(done_now),
            literal(now, UTCDateTime()),
            literal(stamp, UTCDateTime()),
        )
        .select_from(Enrollment)
        .outerjoin(ModuleProgress, completed)
        .where(
            in_term,
            # the enrollments already reviewed are left out before the aggregate, not found
            # by a conflict per row: a close run again reads 300,000 reviews in one hash
            # (0.25 s, was 1.1 s of CPU) and takes no id of the sequence for each of them
            # (ON CONFLICT evaluates the row, its nextval included, before it probes)
            ~exists().where(
                TermReview.enrollment_id == Enrollment.id, TermReview.term_id == ids.term_id
            ),
        )
        .group_by(Enrollment.id, Enrollment.region_id)
        # in key order, each index takes its new entries at its right edge (no page split
        # all over a 300,000-entry index). No foreign key checks the rows: this SELECT
        # proves the enrollment and the term (migration f26b0c7e1d58)
        .order_by(Enrollment.id)
    )
    # 2. existing open reviews (nudged, buddy-asked, closed before) only where something
    # moved, updated before step 1 inserts (which leaves every reviewed enrollment out), so
    # the aggregate here covers only the enrollments that have a review of this term: a
    # first close, with none, does not aggregate the rollout's progress a second time. Each
    # updated row says whether its verdict was set (1) or an earlier close's verdict
    # changed (2): no count over the term's reviews afterwards
    progress = (
        select(Enrollment.id.label("enrollment_id"), done_now.label("done"))
        .select_from(Enrollment)
        .outerjoin(ModuleProgress, completed)
        .where(
            in_term,
            exists().where(
                TermReview.enrollment_id == Enrollment.id, TermReview.term_id == ids.term_id
            ),
        )
        .group_by(Enrollment.id)
        .subquery("progress")
    )
    done = progress.c.done
    verdict = verdict_for(done)
    verdict_moves = or_(TermReview.closed_at.is_(None), TermReview.verdict != verdict)
    updated = db.session.execute(
        update(TermReview)
        .where(
            TermReview.enrollment_id == progress.c.enrollment_id,
            TermReview.term_id == ids.term_id,
            TermReview.verdict.in_(OPEN_VERDICTS),
            or_(
                verdict_moves,
                TermReview.modules_done != done,
                TermReview.modules_expected != expected,
            ),
        )
        .values(
            modules_expected=expected,
            modules_done=done,
            verdict=verdict,
            verdict_changed_at=case(
                (verdict_moves & TermReview.closed_at.is_not(None), restamp),
                (verdict_moves, stamp),
                else_=TermReview.verdict_changed_at,
            ),
            closed_at=func.coalesce(TermReview.closed_at, now),
        )
        # the values after the update: the stamp this run gave, if any
        .returning(
            case(
                (TermReview.verdict_changed_at == restamp, 2),
                (TermReview.verdict_changed_at == stamp, 1),
                else_=0,
            )
        )
        .execution_options(synchronize_session=False)
    ).scalars()
    moved = [mark for mark in updated if mark]
    columns = [
        "region_id",
        "enrollment_id",
        "term_id",
        "modules_expected",
        "modules_done",
        "verdict",
        "closed_at",
        "verdict_changed_at",
    ]
    try:
        # a plain INSERT: no speculative insertion through the unique key per row (ON
        # CONFLICT cost a quarter of a first close at 300,000 learners)
        with db.session.begin_nested():
            inserted, counts = _insert_counted(insert(TermReview).from_select(columns, source), ids)
    except IntegrityError:
        # a review written since this statement's snapshot (a racing close, a nudge): the
        # unique key skips it row by row, and the term's verdicts are counted afterwards
        inserted = db.session.execute(
            dialect_insert()(TermReview)
            .from_select(columns, source)
            .on_conflict_do_nothing(index_elements=["enrollment_id", "term_id"])
            # SQLAlchemy keeps an INSERT's row count only when asked
            .execution_options(preserve_rowcount=True)
        ).rowcount
        counts = _verdict_counts(ids)
    changed = max(inserted or 0, 0) + len(moved)
    if 2 not in moved:
        return changed, counts
    postgres = db.session.get_bind().dialect.name == "postgresql"
    data = f'{{"term": {ids.term_number}, "rollout_id": {ids.rollout_id}}}'
    data_expr = cast(literal(data), JSON) if postgres else literal(data, String)
    db.session.execute(
        insert(AuditEvent).from_select(
            [
                "at",
                "region_id",
                "actor_type",
                "actor_id",
                "actor_label",
                "action",
                "object_type",
                "object_id",
                "channel",
                "data",
            ],
            select(
                literal(now, UTCDateTime()),
                TermReview.region_id,
                literal("system"),
                literal(None),
                literal("Summit"),
                literal("term.verdict.") + cast(TermReview.verdict, String),
                literal("term_review"),
                TermReview.id,
                literal(channel),
                data_expr,
            ).where(
                TermReview.term_id == ids.term_id,
                TermReview.enrollment_id.in_(select(Enrollment.id).where(in_term)),
                # per learner: each verdict an earlier close gave that this one changes; the
                # verdicts a close gives are its own event (rule and counts) and each review
                # row (modules done and expected, closed_at); each excuse and confirmation
                # that follows is audited per learner by the review
                TermReview.verdict_changed_at == restamp,
            ),
        )
    )
    return changed, counts


def _verdict_counts(ids: _CloseIds) -> Counter[Any]:
    """The verdicts of the term's reviews in the rollout, counted."""
    return Counter(dict(db.session.execute(_verdicts_counted(ids)).all()))


def _verdicts_counted(ids: _CloseIds, *first: Any) -> Select[Any]:
    """(``first`` columns…, verdict, count) of the term's reviews in the rollout."""
    return (
        select(*first, TermReview.verdict, func.count())
        .join(Enrollment, Enrollment.id == TermReview.enrollment_id)
        .where(TermReview.term_id == ids.term_id, Enrollment.rollout_id == ids.rollout_id)
        .group_by(TermReview.verdict)
    )


def _insert_counted(stmt: Any, ids: _CloseIds) -> tuple[int, Counter[Any]]:
    """Run ``INSERT … SELECT`` into ``term_review``: how many rows it wrote, and the term's
    verdicts in the rollout counted, those it wrote with those there were.

    On PostgreSQL one statement (``WITH written AS (INSERT … RETURNING verdict)``, the
    reviews there were counted beside it through ``ix_term_review_term_verdict``): one
    snapshot for both, so a close that committed meanwhile is either all in the count of
    those there were or meets this INSERT on the unique key (the caller then counts
    afresh); no row reaches Python. SQLite has no INSERT in a WITH, and one writer: the
    reviews there were are counted first, the RETURNING rows here."""
    if db.session.get_bind().dialect.name == "postgresql":
        written = stmt.returning(TermReview.verdict).cte("written")
        rows = db.session.execute(
            union_all(
                select(literal(True), written.c.verdict, func.count()).group_by(written.c.verdict),
                _verdicts_counted(ids, literal(False)),
            )
        ).all()
        counts: Counter[Any] = Counter()
        inserted = 0
        for new, verdict, n in rows:
            counts[Verdict(verdict)] += n
            inserted += n if new else 0
        return inserted, counts
    counts = _verdict_counts(ids)
    added = Counter(db.session.execute(stmt.returning(TermReview.verdict)).scalars())
    counts.update(added)
    return sum(added.values()), counts
