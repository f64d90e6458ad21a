"""The weekly journey: who gets this week's email, and queueing it in bulk.

Each active learner (committed, time approved or active in a launched rollout; not
paused, not erased) gets one email per ISO week of the region, from the region's send
time (``[journey] weekday``/``time`` in the region file, default Monday 08:00 local,
DST included) for :data:`CATCH_UP`. ``JourneySend`` (unique per enrollment and week)
is written first, ``INSERT … ON CONFLICT DO NOTHING RETURNING``: only the rows this run
inserted are rendered, so a retried job or a second scheduler tick sends nothing twice.

Recipients are read in keyset batches of :data:`BATCH` by one query; each batch then costs
a fixed number of statements (sends, progress, buddies, one multi-row outbox INSERT),
whatever the number of learners. Services flush, never commit: the job commits a batch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, literal, select

from app.audit import services as audit
from app.calendar import parse_hhmm, weekday_from_name
from app.db import utcnow
from app.extensions import db
from app.journey import content
from app.journey.content import KIND
from app.journey.models import EventKind, JourneyEvent, JourneyNote, JourneyPause, JourneySend
from app.language import babel_locale
from app.links.services import make_action_url, token_maker, url_with_token
from app.mail.services import (
    checked_address,
    display_name,
    insert_outbox,
    message_id_for,
)
from app.people.models import Person
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout, RolloutStatus
from app.terms.common import dialect_insert
from app.weeks import week_label, week_monday

log = logging.getLogger(__name__)

#: the journey page and its pause/resume pages (object: the enrollment)
JOURNEY_PURPOSE = "journey"
#: a weekly email's measured links and open pixel (object: the JourneySend)
TRACK_PURPOSE = "journey.track"
LINK_MAX_AGE = timedelta(days=60)
#: a week's send runs from its send time this long (a scheduler down for a while catches up)
CATCH_UP = timedelta(hours=12)
BATCH = 500
DEFAULT_WEEKDAY, DEFAULT_TIME = 0, time(8, 0)
#: who gets the weekly email (the rollout must be launched too)
RECEIVING = (EnrollmentState.COMMITTED, EnrollmentState.TIME_APPROVED, EnrollmentState.ACTIVE)


def send_slot(region: Region) -> tuple[int, time]:
    """The region's weekday (Monday = 0) and local time of the weekly email."""
    settings = (region.settings or {}).get("journey") or {}
    weekday = weekday_from_name(settings.get("weekday", "monday"))
    at = parse_hhmm(settings.get("time", "08:00"))
    return (DEFAULT_WEEKDAY if weekday is None else weekday), (at or DEFAULT_TIME)


def send_time(region: Region, week: str) -> datetime:
    """The instant (UTC) the weekly email of ``week`` goes out in the region's zone; a
    wall-clock time that DST skips runs an hour later."""
    weekday, at = send_slot(region)
    day = week_monday(week) + timedelta(days=weekday)
    naive = datetime.combine(day, at)
    return naive.replace(tzinfo=ZoneInfo(region.time_zone)).astimezone(UTC)


def due_week(region: Region, now: datetime) -> str | None:
    """The ISO week whose email is due in the region at ``now``, or None."""
    week = week_label(now.astimezone(ZoneInfo(region.time_zone)).date())
    start = send_time(region, week)
    return week if start <= now < start + CATCH_UP else None


def journey_url(enrollment: Enrollment) -> str:
    return make_action_url(
        endpoint="journey_public.page",
        purpose=JOURNEY_PURPOSE,
        person_id=enrollment.person_id,
        object_id=enrollment.id,
    )


def pixel_url(send_id: int, person_id: int) -> str:
    return make_action_url(
        endpoint="journey_public.pixel",
        purpose=TRACK_PURPOSE,
        person_id=person_id,
        object_id=send_id,
    )


def recipients(region_id: int, week: str, *, after: int = 0, limit: int = BATCH) -> Any:
    """The week's recipients after enrollment id ``after`` (keyset), one query."""
    paused = exists().where(JourneyPause.enrollment_id == Enrollment.id)
    sent = exists().where(JourneySend.enrollment_id == Enrollment.id, JourneySend.week == week)
    return (
        select(Enrollment.id, Enrollment.rollout_id, Enrollment.buddy_group, Person.id.label("pid"))
        .join(Person, Person.id == Enrollment.person_id)
        .join(Rollout, Rollout.id == Enrollment.rollout_id)
        .where(
            Enrollment.region_id == region_id,
            Rollout.status == RolloutStatus.LAUNCHED,
            Enrollment.state.in_(RECEIVING),
            Person.erased_at.is_(None),
            ~paused,
            ~sent,
            Enrollment.id > after,
        )
        .order_by(Enrollment.id)
        .limit(limit)
    )


@dataclass
class BatchResult:
    last_id: int
    queued: int
    selected: int


def send_batch(
    *,
    region: Region,
    week: str,
    after: int = 0,
    limit: int = BATCH,
    week_content: content.WeekContent | None = None,
    upto: int | None = None,
) -> BatchResult:
    """Claim, render and queue the weekly email for the next batch of recipients (enrollment
    ids after ``after``, up to ``upto`` if given). Flushes.

    Pass the run's ``week_content`` to every batch of the week: each shape of the email
    (language, zone, content variant) is then rendered once for the whole run."""
    rows = db.session.execute(recipients(region.id, week, after=after, limit=limit)).all()
    if upto is not None:
        # cut here, not in the query: the planner walks ``id > after`` in order to the LIMIT
        # with the same plan as the unbounded run, where ``id <= upto`` made it slower
        rows = [r for r in rows if r.id <= upto]
    if not rows:
        return BatchResult(last_id=after, queued=0, selected=0)
    last_id = rows[-1].id
    #: opens are measured (a pixel) only where the region may report on individuals
    measures = region.names_individuals
    claimed = _claim(region.id, week, [r.id for r in rows], measures_opens=measures)
    if not claimed:
        return BatchResult(last_id=last_id, queued=0, selected=len(rows))
    if week_content is None:
        week_content = content.WeekContent(region=region, week=week, now=send_time(region, week))
    learners = week_content.learners(claimed)
    # one token per email and purpose: the measured links and the pixel share theirs
    track_token, journey_token = token_maker(TRACK_PURPOSE), token_maker(JOURNEY_PURPOSE)
    follow = {
        target: url_with_token("journey_public.follow", target=target) for target in content.TARGETS
    }
    pause_url, pixel = (
        url_with_token("journey_public.pause"),
        url_with_token("journey_public.pixel"),
    )
    outbox = []
    for send_id, learner in learners:
        try:
            address = checked_address(learner.email)
        except ValueError:
            log.warning("journey: enrollment %s has no usable address", learner.enrollment_id)
            continue
        tracking = track_token(learner.person_id, send_id)
        links = {target: url(tracking) for target, url in follow.items()}
        links["pause"] = pause_url(journey_token(learner.person_id, learner.enrollment_id))
        rendered = week_content.render_fast(learner, links=links)
        html = rendered.html
        if measures:
            # the open pixel: a measurement only (JourneyEvent), where the region's reporting
            # policy allows individual data; render_email refuses remote images in templates
            html = html.replace(
                "</body>",
                f'<img src="{pixel(tracking)}" width="1" height="1" '
                'alt="" style="display:block;border:0;width:1px;height:1px"></body>',
                1,
            )
        key = f"{KIND}/{learner.enrollment_id}/{week}"
        outbox.append(
            {
                "idempotency_key": key,
                "kind": KIND,
                "region_id": region.id,
                "person_id": learner.person_id,
                "to_address": address,
                "to_name": display_name(learner.name),
                "subject": display_name(rendered.subject),
                "text_body": rendered.text,
                "html_body": html,
                "message_id": message_id_for(key),
                "locale": babel_locale(learner.locale),
            }
        )
    insert_outbox(outbox)
    return BatchResult(last_id=last_id, queued=len(outbox), selected=len(rows))


def journey_url_for(enrollment_id: int, person_id: int, page: str = "page") -> str:
    return make_action_url(
        endpoint=f"journey_public.{page}",
        purpose=JOURNEY_PURPOSE,
        person_id=person_id,
        object_id=enrollment_id,
    )


def _claim(
    region_id: int, week: str, enrollment_ids: list[int], *, measures_opens: bool
) -> list[tuple[int, int]]:
    """Insert the week's JourneySend rows; returns (send id, enrollment id) of those this
    call inserted (a row another run inserted first is not returned)."""
    source = select(
        literal(region_id), Enrollment.id, literal(week), literal(measures_opens), literal(utcnow())
    ).where(Enrollment.id.in_(enrollment_ids))
    statement = (
        dialect_insert()(JourneySend)
        .from_select(["region_id", "enrollment_id", "week", "measures_opens", "created_at"], source)
        .on_conflict_do_nothing(index_elements=["enrollment_id", "week"])
        .returning(JourneySend.id, JourneySend.enrollment_id)
    )
    return sorted(db.session.execute(statement).tuples().all(), key=lambda r: r[1])


def range_bounds(region_id: int, size: int) -> list[int]:
    """Every ``size``-th enrollment id of the region, in order: the ends of the ranges
    ``(0, b₁], (b₁, b₂] … (bₙ, ∞)`` a region's week is cut into (one query; empty when the
    region has fewer than ``size`` enrollments)."""
    numbered = (
        select(Enrollment.id, func.row_number().over(order_by=Enrollment.id).label("n"))
        .where(Enrollment.region_id == region_id)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(numbered.c.id).where(numbered.c.n % size == 0).order_by(numbered.c.id)
        )
    )


def has_recipients(region_id: int, week: str) -> bool:
    """Whether anyone of the region is still to get ``week``'s email (one query)."""
    return db.session.execute(recipients(region_id, week, limit=1)).first() is not None


def send_week(*, region: Region, week: str, batch: int = BATCH) -> int:
    """Every batch of ``week`` in this transaction (tests, the CLI); returns emails queued."""
    after, queued = 0, 0
    week_content = content.WeekContent(region=region, week=week, now=send_time(region, week))
    while True:
        result = send_batch(
            region=region, week=week, after=after, limit=batch, week_content=week_content
        )
        queued += result.queued
        if result.selected < batch:
            return queued
        after = result.last_id


def pause(enrollment: Enrollment, *, actor: Any = None) -> bool:
    """Stop the weekly email for this learner; False if it was already paused. Flushes."""
    if db.session.scalar(
        select(JourneyPause.id).where(JourneyPause.enrollment_id == enrollment.id)
    ):
        return False
    db.session.add(JourneyPause(region_id=enrollment.region_id, enrollment_id=enrollment.id))
    audit.record(
        region_id=enrollment.region_id,
        action="journey.paused",
        obj=enrollment,
        actor=actor,
        channel="link",
    )
    db.session.flush()
    return True


def resume(enrollment: Enrollment, *, actor: Any = None) -> bool:
    """Send the weekly email again; False if it was not paused. Flushes."""
    row = db.session.scalars(
        select(JourneyPause).where(JourneyPause.enrollment_id == enrollment.id)
    ).one_or_none()
    if row is None:
        return False
    db.session.delete(row)
    audit.record(
        region_id=enrollment.region_id,
        action="journey.resumed",
        obj=enrollment,
        actor=actor,
        channel="link",
    )
    db.session.flush()
    return True


def is_paused(enrollment_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(JourneyPause.id).where(JourneyPause.enrollment_id == enrollment_id)
        )
    )


def record_event(send: JourneySend, kind: EventKind) -> None:
    """Append one measurement (an open where the send measures opens, or a click). It
    changes no business state: only the region report counts these rows. Flushes."""
    if kind is EventKind.OPEN and not send.measures_opens:
        return
    db.session.add(JourneyEvent(region_id=send.region_id, send_id=send.id, kind=kind))
    db.session.flush()


NOTE_MAX = 280


def set_note(*, rollout: Rollout, text: str, author: str, actor: Any) -> JourneyNote:
    """Set (or clear, with an empty text) the rollout's note of the week. Flushes."""
    text, author = " ".join(text.split())[:NOTE_MAX], " ".join(author.split())[:200]
    note = db.session.scalars(
        select(JourneyNote).where(JourneyNote.rollout_id == rollout.id)
    ).one_or_none()
    if note is None:
        note = JourneyNote(region_id=rollout.region_id, rollout_id=rollout.id)
        db.session.add(note)
    note.text, note.author, note.updated_at = text, author, utcnow()
    note.updated_by_id = getattr(actor, "id", None)
    audit.record(
        region_id=rollout.region_id,
        action="journey.note_set",
        obj=rollout,
        actor=actor,
        channel="web",
        data={"text": text, "author": author},
    )
    db.session.flush()
    return note
