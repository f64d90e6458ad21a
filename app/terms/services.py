"""Terms: at-risk nudges, buddy sign-off, term close and the review of free-rider candidates.

Scheduled work (region-local time; see each ``due_*``):
- ``due_at_risk_nudges`` daily at 09:00: learners behind pace (or missing calls) mid-term;
- ``due_buddy_signoffs`` daily at 09:00: after a term's last day, ask each buddy to confirm;
- ``due_term_closes`` daily at 06:00: close terms ended more than the grace period ago.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    String,
    and_,
    case,
    cast,
    event,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from app.audit.models import AuditEvent
from app.audit.services import record
from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.links.services import make_action_url
from app.mail.services import queue_email
from app.people.models import Person
from app.programs.models import Program, Term
from app.progress.models import ModuleProgress
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout, RolloutStatus
from app.rollouts.signals import enrollment_left
from app.terms.models import OPEN_VERDICTS, ExcuseReason, TermClose, TermReview, Verdict
from app.terms.pace import current_term, pace_for

log = logging.getLogger(__name__)

#: enrollments a term's requirement applies to: their manager gave them the time
IN_TERM_STATES = (
    EnrollmentState.TIME_APPROVED,
    EnrollmentState.ACTIVE,
    EnrollmentState.COMPLETED,
)
STUDYING = (EnrollmentState.TIME_APPROVED, EnrollmentState.ACTIVE)
DEFAULT_GRACE_DAYS = 7
BUDDY_PURPOSE = "buddy-signoff"
#: how long after a term's end its buddy requests are still sent (a late-created rollout
#: does not mail about terms long gone)
BUDDY_WINDOW_DAYS = 21


class ReviewError(ValueError):
    """The review cannot be made (already reviewed, wrong state)."""


def local_today(region: Region, now: datetime) -> date:
    return now.astimezone(ZoneInfo(region.time_zone)).date()


def grace_days(region: Region) -> int:
    terms = (region.settings or {}).get("terms") or {}
    try:
        return int(terms.get("grace_days", DEFAULT_GRACE_DAYS))
    except (TypeError, ValueError):
        return DEFAULT_GRACE_DAYS


def _launched_rollouts(region: Region) -> list[Rollout]:
    return list(
        db.session.scalars(
            select(Rollout).where(
                Rollout.region_id == region.id, Rollout.status == RolloutStatus.LAUNCHED
            )
        )
    )


def _locale(person: Person, region: Region) -> str:
    return person.locale or region.locale


def _buddies(rollout_id: int, groups: set[int]) -> dict[int, list[Enrollment]]:
    """Enrollments still in the program per buddy group (one query)."""
    found: dict[int, list[Enrollment]] = defaultdict(list)
    if not groups:
        return found
    for buddy in db.session.scalars(
        select(Enrollment).where(
            Enrollment.rollout_id == rollout_id,
            Enrollment.buddy_group.in_(groups),
            Enrollment.state.not_in((EnrollmentState.REMOVED, EnrollmentState.WITHDRAWN)),
        )
    ):
        found[buddy.buddy_group].append(buddy)  # type: ignore[index]
    return found


def _missed_calls(rollout_id: int) -> set[int]:
    """Enrollment ids that missed three calls in a row, when the calls capability offers it."""
    try:
        from app.calls.services import missed_calls_in_a_row  # type: ignore[attr-defined]
    except ImportError:
        return set()
    return set(missed_calls_in_a_row(rollout_id=rollout_id))


# --- at risk ------------------------------------------------------------------------------


def due_at_risk_nudges(*, region: Region, now: datetime | None = None) -> int:
    """Daily: nudge each learner behind pace in a running term (or who missed three calls in a
    row) and their buddies, once per term per learner: marks the TermReview AT_RISK with
    ``at_risk_nudged_at`` and queues ``terms/at_risk`` and ``terms/at_risk_buddy``.
    Returns the number of learners nudged. Flushes.
    """
    now = now or utcnow()
    today = local_today(region, now)
    nudged = 0
    for rollout in _launched_rollouts(region):
        program = rollout.program
        term = current_term(program, today)
        if term is None:
            continue
        pace = pace_for(program, term)
        expected = pace.expected_by(today)
        done = (
            select(func.count(ModuleProgress.id))
            .where(
                ModuleProgress.enrollment_id == Enrollment.id,
                ModuleProgress.completed.is_(True),
                ModuleProgress.module_id.in_(pace.required_ids or {-1}),
            )
            .scalar_subquery()
        )
        already = exists().where(
            TermReview.enrollment_id == Enrollment.id,
            TermReview.term_id == term.id,
            TermReview.at_risk_nudged_at.is_not(None),
        )
        missed = _missed_calls(rollout.id)
        behind_cond = done < expected
        cond = or_(behind_cond, Enrollment.id.in_(missed)) if missed else behind_cond
        rows = db.session.execute(
            select(Enrollment, done.label("done"))
            .where(Enrollment.rollout_id == rollout.id, Enrollment.state.in_(STUDYING), ~already)
            .where(cond)
        ).all()
        if not rows:
            continue
        ids = [e.id for e, _ in rows]
        reviews = {
            r.enrollment_id: r
            for r in db.session.scalars(
                select(TermReview).where(
                    TermReview.term_id == term.id, TermReview.enrollment_id.in_(ids)
                )
            )
        }
        buddies = _buddies(rollout.id, {e.buddy_group for e, _ in rows if e.buddy_group})
        for enrollment, done_count in rows:
            reason = "behind_pace" if done_count < expected else "missed_calls"
            review = reviews.get(enrollment.id)
            if review is None:
                review = TermReview(
                    region_id=region.id, enrollment_id=enrollment.id, term_id=term.id
                )
                db.session.add(review)
            review.verdict = Verdict.AT_RISK
            review.modules_expected = expected
            review.modules_done = done_count
            review.at_risk_nudged_at = now
            review.at_risk_reason = reason
            _send_at_risk(region, rollout, term, enrollment, done_count, expected, reason, buddies)
            nudged += 1
        db.session.flush()
        log.info("rollout %s term %s: %s learners nudged", rollout.slug, term.number, len(rows))
    return nudged


def _send_at_risk(
    region: Region,
    rollout: Rollout,
    term: Term,
    enrollment: Enrollment,
    done: int,
    expected: int,
    reason: str,
    buddies: dict[int, list[Enrollment]],
) -> None:
    learner = enrollment.person
    context = {
        "learner_name": learner.name,
        "program_title": rollout.program.title,
        "course_url": rollout.program.course_url,
        "term_number": term.number,
        "term_ends_on": term.ends_on.isoformat(),
        "modules_done": done,
        "modules_expected": expected,
        "reason": reason,
    }
    queue_email(
        kind="terms/at_risk",
        to_address=learner.email,
        to_name=learner.name,
        idempotency_key=f"terms.at-risk.{enrollment.id}.{term.id}",
        context=context,
        locale=_locale(learner, region),
        region_id=region.id,
        person_id=learner.id,
    )
    for buddy in buddies.get(enrollment.buddy_group or -1, []):
        if buddy.id == enrollment.id:
            continue
        queue_email(
            kind="terms/at_risk_buddy",
            to_address=buddy.person.email,
            to_name=buddy.person.name,
            idempotency_key=f"terms.at-risk-buddy.{enrollment.id}.{term.id}.{buddy.id}",
            context={**context, "buddy_name": buddy.person.name},
            locale=_locale(buddy.person, region),
            region_id=region.id,
            person_id=buddy.person.id,
        )


# --- reviews rows -------------------------------------------------------------------------


def _scope_ids(rollout: Rollout) -> Any:
    return select(Enrollment.id).where(
        Enrollment.rollout_id == rollout.id, Enrollment.state.in_(IN_TERM_STATES)
    )


def ensure_reviews(*, rollout: Rollout, term: Term, expected: int) -> int:
    """Create the missing TermReview rows of a term for every enrollment it applies to
    (one INSERT … SELECT). Returns how many were created."""
    missing = ~exists().where(
        TermReview.enrollment_id == Enrollment.id, TermReview.term_id == term.id
    )
    source = select(
        Enrollment.region_id,
        Enrollment.id,
        literal(term.id),
        literal(expected),
        literal(0),
        literal(Verdict.ON_TRACK.value),
    ).where(
        Enrollment.rollout_id == rollout.id,
        Enrollment.state.in_(IN_TERM_STATES),
        missing,
    )
    result = db.session.execute(
        insert(TermReview).from_select(
            [
                "region_id",
                "enrollment_id",
                "term_id",
                "modules_expected",
                "modules_done",
                "verdict",
            ],
            source,
        )
    )
    return max(result.rowcount or 0, 0)


# --- buddy sign-off -----------------------------------------------------------------------


def due_buddy_signoffs(*, region: Region, now: datetime | None = None) -> int:
    """Daily: for each term that ended (up to three weeks ago), ask each learner's buddies to
    confirm the learner's term: queues ``terms/buddy_signoff`` with a signed link and stamps
    ``buddy_requested_at``. Returns the number of requests. Flushes.
    """
    now = now or utcnow()
    today = local_today(region, now)
    sent = 0
    for rollout in _launched_rollouts(region):
        program = rollout.program
        for term in program.terms:
            if not (term.ends_on < today <= term.ends_on + timedelta(days=BUDDY_WINDOW_DAYS)):
                continue
            pace = pace_for(program, term)
            ensure_reviews(rollout=rollout, term=term, expected=pace.required_count)
            rows = db.session.execute(
                select(TermReview, Enrollment)
                .join(Enrollment, Enrollment.id == TermReview.enrollment_id)
                .where(
                    TermReview.term_id == term.id,
                    Enrollment.rollout_id == rollout.id,
                    Enrollment.state.in_(IN_TERM_STATES),
                    Enrollment.buddy_group.is_not(None),
                    TermReview.buddy_requested_at.is_(None),
                )
            ).all()
            buddies = _buddies(rollout.id, {e.buddy_group for _, e in rows if e.buddy_group})
            for review, enrollment in rows:
                for buddy in buddies.get(enrollment.buddy_group or -1, []):
                    if buddy.id == enrollment.id:
                        continue
                    url = make_action_url(
                        endpoint="terms.buddy_signoff",
                        purpose=BUDDY_PURPOSE,
                        person_id=buddy.person_id,
                        object_id=review.id,
                    )
                    queue_email(
                        kind="terms/buddy_signoff",
                        to_address=buddy.person.email,
                        to_name=buddy.person.name,
                        idempotency_key=f"terms.buddy-signoff.{review.id}.{buddy.id}",
                        context={
                            "buddy_name": buddy.person.name,
                            "learner_name": enrollment.person.name,
                            "program_title": program.title,
                            "term_number": term.number,
                            "url": url,
                        },
                        locale=_locale(buddy.person, region),
                        region_id=region.id,
                        person_id=buddy.person_id,
                    )
                    sent += 1
                review.buddy_requested_at = now
            db.session.flush()
    return sent


def confirm_buddy_term(
    *, review: TermReview, buddy_person_id: int, now: datetime | None = None
) -> Enrollment:
    """Record a buddy's confirmation of their partner's term (audited). Only an enrollment in
    the same buddy group of the same rollout counts; the learner cannot confirm themselves.
    Raises ReviewError otherwise. Flushes.
    """
    now = now or utcnow()
    learner = db.session.get(Enrollment, review.enrollment_id)
    assert learner is not None
    buddy = db.session.scalars(
        select(Enrollment).where(
            Enrollment.rollout_id == learner.rollout_id,
            Enrollment.person_id == buddy_person_id,
        )
    ).one_or_none()
    if (
        buddy is None
        or buddy.id == learner.id
        or learner.buddy_group is None
        or buddy.buddy_group != learner.buddy_group
    ):
        raise ReviewError("only the learner's buddy can confirm their term")
    if review.buddy_confirmed_at is not None:
        return buddy
    review.buddy_confirmed_by_id = buddy.id
    review.buddy_confirmed_at = now
    record(
        region_id=review.region_id,
        action="term.buddy_confirmed",
        obj=review,
        actor=buddy.person,
        channel="link",
        data={"learner_enrollment": learner.id},
    )
    db.session.flush()
    return buddy


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
    (``[terms] grace_days`` in the region file, 7 by default) and not yet closed."""
    now = now or utcnow()
    today = local_today(region, now)
    results = []
    for rollout in _launched_rollouts(region):
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
    Each verdict set or changed is audited. A constant number of SQL statements, whatever
    the number of learners (``statements`` in the result counts them). Flushes.
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
    engine = db.session.connection().engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        changed = _close(ids, now=now, channel=channel)
        counts = dict(
            db.session.execute(
                select(TermReview.verdict, func.count())
                .join(Enrollment, Enrollment.id == TermReview.enrollment_id)
                .where(TermReview.term_id == ids.term_id, Enrollment.rollout_id == ids.rollout_id)
                .group_by(TermReview.verdict)
            ).all()
        )
        closing = db.session.scalars(
            select(TermClose).where(
                TermClose.rollout_id == ids.rollout_id, TermClose.term_id == ids.term_id
            )
        ).one_or_none()
        if closing is None:
            closing = TermClose(
                region_id=ids.region_id,
                rollout_id=ids.rollout_id,
                term_id=ids.term_id,
                first_closed_at=now,
            )
            db.session.add(closing)
        closing.last_closed_at = now
        closing.on_track = counts.get(Verdict.ON_TRACK, 0)
        closing.candidates = counts.get(Verdict.FREE_RIDER_CANDIDATE, 0)
        db.session.flush()
    finally:
        event.remove(engine, "before_cursor_execute", counter)
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


@dataclass(frozen=True)
class _CloseIds:
    region_id: int
    rollout_id: int
    term_id: int
    term_number: int
    required_ids: frozenset[int]


def _close(ids: _CloseIds, *, now: datetime, channel: str) -> int:
    """The set-based statements of a close: create, count, judge, audit (4 statements)."""
    expected = len(ids.required_ids)
    scope = select(Enrollment.id).where(
        Enrollment.rollout_id == ids.rollout_id, Enrollment.state.in_(IN_TERM_STATES)
    )
    missing = ~exists().where(
        TermReview.enrollment_id == Enrollment.id, TermReview.term_id == ids.term_id
    )
    db.session.execute(
        insert(TermReview).from_select(
            [
                "region_id",
                "enrollment_id",
                "term_id",
                "modules_expected",
                "modules_done",
                "verdict",
            ],
            select(
                Enrollment.region_id,
                Enrollment.id,
                literal(ids.term_id),
                literal(expected),
                literal(0),
                literal(Verdict.ON_TRACK.value),
            ).where(
                Enrollment.rollout_id == ids.rollout_id,
                Enrollment.state.in_(IN_TERM_STATES),
                missing,
            ),
        )
    )
    in_scope = TermReview.enrollment_id.in_(scope)
    open_rows = and_(
        TermReview.term_id == ids.term_id, TermReview.verdict.in_(OPEN_VERDICTS), in_scope
    )
    done = (
        select(func.count(ModuleProgress.id))
        .where(
            ModuleProgress.enrollment_id == TermReview.enrollment_id,
            ModuleProgress.completed.is_(True),
            ModuleProgress.module_id.in_(ids.required_ids or {-1}),
        )
        .scalar_subquery()
    )
    db.session.execute(
        update(TermReview)
        .where(open_rows)
        .values(modules_expected=expected, modules_done=done)
        .execution_options(synchronize_session=False)
    )
    verdict = case(
        (TermReview.modules_done >= TermReview.modules_expected, Verdict.ON_TRACK.value),
        else_=Verdict.FREE_RIDER_CANDIDATE.value,
    )
    changed = db.session.execute(
        update(TermReview)
        .where(open_rows, or_(TermReview.closed_at.is_(None), TermReview.verdict != verdict))
        .values(
            verdict=verdict,
            verdict_changed_at=now,
            closed_at=func.coalesce(TermReview.closed_at, now),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        return 0
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
                TermReview.term_id == ids.term_id, TermReview.verdict_changed_at == now, in_scope
            ),
        )
    )
    return int(changed)


# --- review -------------------------------------------------------------------------------


def excuse(
    *,
    region: Region,
    review: TermReview,
    reason: ExcuseReason,
    note: str,
    actor: Any,
    withdraw: bool = False,
    now: datetime | None = None,
) -> TermReview:
    """Excuse a free-rider candidate (audited); with ``withdraw`` the learner also leaves the
    program as WITHDRAWN (``enrollment_left`` sent). Raises ReviewError on a second review."""
    now = now or utcnow()
    if review.verdict is not Verdict.FREE_RIDER_CANDIDATE:
        raise ReviewError("this learner was already reviewed")
    if reason is ExcuseReason.OTHER and not note.strip():
        raise ReviewError("say why in the note when the reason is “other”")
    review.verdict = Verdict.EXCUSED
    review.excuse_reason = reason.value
    review.excuse_note = note.strip() or None
    review.reviewed_by_id = getattr(actor, "id", None)
    review.reviewed_at = now
    record(
        region_id=region.id,
        action="term.excused",
        obj=review,
        actor=actor,
        channel="web",
        data={"reason": reason.value, "withdraw": withdraw},
    )
    if withdraw:
        enrollment = db.session.get(Enrollment, review.enrollment_id)
        assert enrollment is not None
        enrollment.transition(EnrollmentState.WITHDRAWN, at=now)
        enrollment.left_reason = f"{reason.label}: {note.strip()}" if note.strip() else reason.label
        record(
            region_id=region.id,
            action="enrollment.withdrawn",
            obj=enrollment,
            actor=actor,
            channel="web",
            data={"reason": reason.value},
        )
        enrollment_left.send(enrollment)
    db.session.flush()
    return review


def confirm_free_rider(
    *, region: Region, review: TermReview, actor: Any, now: datetime | None = None
) -> TermReview:
    """Confirm a free-rider candidate: the learner is REMOVED from the program (audited,
    ``enrollment_left`` sent) and gets a respectful email, as does their manager.
    Raises ReviewError on a second review. Flushes.
    """
    now = now or utcnow()
    if review.verdict is not Verdict.FREE_RIDER_CANDIDATE:
        raise ReviewError("this learner was already reviewed")
    enrollment = db.session.get(Enrollment, review.enrollment_id)
    term = db.session.get(Term, review.term_id)
    assert enrollment is not None and term is not None
    review.verdict = Verdict.CONFIRMED_FREE_RIDER
    review.reviewed_by_id = getattr(actor, "id", None)
    review.reviewed_at = now
    enrollment.transition(EnrollmentState.REMOVED, at=now)
    enrollment.left_reason = f"term {term.number}: required modules not done"
    record(
        region_id=region.id,
        action="term.confirmed_free_rider",
        obj=review,
        actor=actor,
        channel="web",
        data={"term": term.number},
    )
    record(
        region_id=region.id,
        action="enrollment.removed",
        obj=enrollment,
        actor=actor,
        channel="web",
        data={"term": term.number},
    )
    enrollment_left.send(enrollment)
    learner = enrollment.person
    program = enrollment.rollout.program
    context = {
        "learner_name": learner.name,
        "program_title": program.title,
        "term_number": term.number,
        "modules_done": review.modules_done,
        "modules_expected": review.modules_expected,
        "lead_name": getattr(actor, "name", "Summit"),
    }
    queue_email(
        kind="terms/removed",
        to_address=learner.email,
        to_name=learner.name,
        idempotency_key=f"terms.removed.{review.id}",
        context=context,
        locale=_locale(learner, region),
        region_id=region.id,
        person_id=learner.id,
    )
    manager = learner.manager
    if manager is not None:
        queue_email(
            kind="terms/removed_manager",
            to_address=manager.email,
            to_name=manager.name,
            idempotency_key=f"terms.removed-manager.{review.id}",
            context={**context, "manager_name": manager.name},
            locale=_locale(manager, region),
            region_id=region.id,
            person_id=manager.id,
        )
    db.session.flush()
    return review


# --- what goes up to sponsors -------------------------------------------------------------


@dataclass
class TermOutcome:
    """A term's outcome as sponsors may see it: names only under the ``named`` policy."""

    term: Term
    closed: bool
    on_track: int
    candidates: int
    excused: int
    removed: int
    #: names of removed learners; empty (never filled) under the ``aggregate`` policy
    removed_names: list[tuple[str, str]]
    names_individuals: bool


def term_outcome(*, region: Region, rollout: Rollout, term: Term) -> TermOutcome:
    """Counts per verdict (one grouped query) and, only where the region's policy names
    individuals, who was removed."""
    counts = dict(
        db.session.execute(
            select(TermReview.verdict, func.count())
            .join(Enrollment, Enrollment.id == TermReview.enrollment_id)
            .where(TermReview.term_id == term.id, Enrollment.rollout_id == rollout.id)
            .group_by(TermReview.verdict)
        ).all()
    )
    names: list[tuple[str, str]] = []
    if region.names_individuals:
        names = [
            (p.employee_id, p.name)
            for p in db.session.scalars(
                select(Person)
                .join(Enrollment, Enrollment.person_id == Person.id)
                .join(TermReview, TermReview.enrollment_id == Enrollment.id)
                .where(
                    TermReview.term_id == term.id,
                    Enrollment.rollout_id == rollout.id,
                    TermReview.verdict == Verdict.CONFIRMED_FREE_RIDER,
                )
                .order_by(Person.name)
            )
        ]
    closed = (
        db.session.scalar(
            select(func.count())
            .select_from(TermClose)
            .where(TermClose.rollout_id == rollout.id, TermClose.term_id == term.id)
        )
        or 0
    ) > 0
    return TermOutcome(
        term=term,
        closed=closed,
        on_track=counts.get(Verdict.ON_TRACK, 0),
        candidates=counts.get(Verdict.FREE_RIDER_CANDIDATE, 0),
        excused=counts.get(Verdict.EXCUSED, 0),
        removed=counts.get(Verdict.CONFIRMED_FREE_RIDER, 0),
        removed_names=names,
        names_individuals=region.names_individuals,
    )


def tell_sponsors_if_reviewed(
    *, region: Region, rollout: Rollout, term: Term, now: datetime | None = None
) -> bool:
    """Once every candidate of a closed term is reviewed, send each subscribed sponsor the
    term's outcome (``terms/outcome``: counts, and names only under the ``named`` policy),
    once. Returns True when sent now. Flushes."""
    now = now or utcnow()
    closing = db.session.scalars(
        select(TermClose).where(TermClose.rollout_id == rollout.id, TermClose.term_id == term.id)
    ).one_or_none()
    if closing is None or closing.sponsors_told_at is not None:
        return False
    outcome = term_outcome(region=region, rollout=rollout, term=term)
    if outcome.candidates:
        return False
    for sponsor in rollout.sponsors:
        if not sponsor.subscribed:
            continue
        queue_email(
            kind="terms/outcome",
            to_address=sponsor.email,
            to_name=sponsor.name,
            idempotency_key=f"terms.outcome.{rollout.id}.{term.id}.{sponsor.id}",
            context={
                "sponsor_name": sponsor.name,
                "program_title": rollout.program.title,
                "region_name": region.name,
                "term_number": term.number,
                "on_track": outcome.on_track,
                "excused": outcome.excused,
                "removed": outcome.removed,
                "removed_names": [name for _, name in outcome.removed_names],
                "names_individuals": outcome.names_individuals,
            },
            locale=region.locale,
            region_id=region.id,
        )
    closing.sponsors_told_at = now
    record(
        region_id=region.id,
        action="term.outcome_sent",
        obj=closing,
        channel="web",
        data={"term": term.number, "named": outcome.names_individuals},
    )
    db.session.flush()
    return True


def program_term(program: Program, number: int) -> Term | None:
    return next((t for t in program.terms if t.number == number), None)
