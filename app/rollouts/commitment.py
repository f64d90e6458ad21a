"""What the learner chooses on the commit page besides their goal: a buddy picked by name
from the rollout's committed learners (or "pair me"), the weekly study slot in their own
time zone, or "I can't take part" with a reason for the local lead.

Only names of the same rollout (and so the same region) are ever offered or matched; no
email or employee id reaches the page.
"""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select

from app.audit.services import record
from app.calendar import parse_hhmm, weekday_from_name
from app.db import utcnow
from app.extensions import db
from app.people.models import Person
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout
from app.rollouts.queries import like_prefix
from app.rollouts.texts import text

log = logging.getLogger(__name__)

#: learners one may name as a buddy: they have committed and are still in the program
NAMEABLE = (EnrollmentState.COMMITTED, EnrollmentState.TIME_APPROVED, EnrollmentState.ACTIVE)
#: the study block when neither the learner nor the region file ([approvals]) says
DEFAULT_WEEKDAY = 4  # Friday
DEFAULT_TIME = time(14, 0)
REASON_MAX = 2000


class CommitError(ValueError):
    """The pledge cannot be taken as sent; the message says what to fix.

    ``key`` names the message in :mod:`app.rollouts.texts`; ``str()`` is the English text.
    """

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(text(key, "en", **params))
        self.key = key
        self.params = params

    def in_language(self, lang: str) -> str:
        return text(self.key, lang, **self.params)


@dataclass(frozen=True)
class StudySlot:
    """A weekly slot: weekday (0 = Monday), local wall-clock time, IANA zone."""

    weekday: int
    at: time
    zone: str

    def first_on_or_after(self, day: date) -> datetime:
        """The first occurrence on or after ``day``, aware in the slot's zone."""
        first = day + timedelta(days=(self.weekday - day.weekday()) % 7)
        return datetime.combine(first, self.at, tzinfo=ZoneInfo(self.zone))


# --- the buddy ---------------------------------------------------------------------------


#: at most this many names in the commit page's list (type to narrow it)
BUDDY_CHOICES_MAX = 200
#: at most this many people named when a typed buddy fits several
BUDDY_MATCHES_SHOWN = 10


def _name_words_start(words: list[str]) -> ColumnElement[bool]:
    """Each of ``words`` begins a word of the person's name (any case, any order)."""
    name = func.lower(Person.name)
    return and_(
        *(
            or_(
                name.like(like_prefix(w), escape="\\"),
                name.like("% " + like_prefix(w), escape="\\"),
            )
            for w in words
        )
    )


def _others_in_rollout(enrollment: Enrollment, states: tuple[EnrollmentState, ...]) -> Select:
    """The rollout's other learners in ``states`` (same region), their person joined: the
    bound every buddy lookup starts from (``ix_enrollment_rollout_state``)."""
    return (
        select(Enrollment.id, Person.name, Person.email)
        .join(Person, Person.id == Enrollment.person_id)
        .where(
            Enrollment.rollout_id == enrollment.rollout_id,
            Enrollment.region_id == enrollment.region_id,
            Enrollment.state.in_(states),
            Enrollment.id != enrollment.id,
        )
    )


def buddy_choices(enrollment: Enrollment, typed: str = "") -> list[tuple[int, str]]:
    """(enrollment id, name) of the learners ``enrollment`` may name: committed learners of
    the same rollout and region, never themselves, by name; with ``typed`` (what the form
    held), those whose name has words starting with it. One query, at most
    :data:`BUDDY_CHOICES_MAX` rows."""
    stmt = _others_in_rollout(enrollment, NAMEABLE)
    words = _words(typed)
    if words and "@" not in typed:
        stmt = stmt.where(_name_words_start(words))
    rows = db.session.execute(
        stmt.order_by(func.lower(Person.name), Enrollment.id).limit(BUDDY_CHOICES_MAX)
    ).all()
    return sorted(((r.id, r.name) for r in rows), key=lambda c: (c[1].casefold(), c[0]))


#: the roster a buddy is looked up in: everyone of the rollout who has not left
ON_ROSTER = (EnrollmentState.INVITED, *NAMEABLE)


def _words(text_: str) -> list[str]:
    return text_.casefold().split()


def email_hint(email: str) -> str:
    """Enough of a work email to tell two namesakes apart: ``max.m…@example.com``."""
    local, _at, domain = email.partition("@")
    return f"{local[:5]}…@{domain}" if domain else local[:5] + "…"


def resolve_buddy(enrollment: Enrollment, choice: str) -> Enrollment | None:
    """The learner ``choice`` names, looked up in the rollout's roster (same region, not
    left, never the learner): a full name, a work email or employee id, or an id from the
    list; None for "pair me". Raises CommitError when it names nobody ("buddy_unknown") or
    fits several people, or only the start of a name, email or employee id
    ("buddy_ambiguous", with the names and email hints to choose from). One query: the
    exact matches first, then the prefix matches, at most :data:`BUDDY_MATCHES_SHOWN` + 1.
    Nothing is stored here."""
    choice = " ".join(choice.split())
    if not choice:
        return None
    typed = choice.lower()
    wanted = _words(choice)
    exact_ones: list[ColumnElement[bool]] = [
        func.lower(Person.email) == typed,
        func.lower(Person.employee_id) == typed,
    ]
    if choice.isdigit():
        exact_ones.append(Enrollment.id == int(choice))
    if "@" not in choice:
        exact_ones.append(func.lower(Person.name) == " ".join(wanted))
    exact = or_(*exact_ones)
    starts = [
        func.lower(Person.email).like(like_prefix(typed), escape="\\"),
        func.lower(Person.employee_id).like(like_prefix(typed), escape="\\"),
    ]
    if "@" not in choice:
        starts.append(_name_words_start(wanted))
    is_exact = case((exact, 0), else_=1).label("is_exact")
    rows = db.session.execute(
        _others_in_rollout(enrollment, ON_ROSTER)
        .add_columns(Enrollment, is_exact)
        .where(or_(exact, *starts))
        .order_by(is_exact, func.lower(Person.name), Enrollment.id)
        .limit(BUDDY_MATCHES_SHOWN + 1)
    ).all()
    exact_rows = [r for r in rows if r.is_exact == 0]
    if len(exact_rows) == 1:
        return exact_rows[0].Enrollment
    # several namesakes, or the start of a name ("Max"): say who could be meant
    near = exact_rows or rows
    if not near:
        raise CommitError("buddy_unknown", name=choice[:200])
    near = sorted(near, key=lambda r: (r.name.casefold(), r.id))[:BUDDY_MATCHES_SHOWN]
    names = ", ".join(f"{r.name} ({email_hint(r.email)})" for r in near)
    raise CommitError("buddy_ambiguous", name=choice[:200], names=names)


# --- the study slot ----------------------------------------------------------------------


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def default_study_slot(region: Region, zone: str | None = None) -> StudySlot:
    """The region's study block (``[approvals]`` of the region file) or Friday 14:00, in
    ``zone`` (the learner's) or the region's."""
    table = (region.settings or {}).get("approvals") or {}
    weekday = weekday_from_name(table.get("study_block_weekday"))
    at = parse_hhmm(table.get("study_block_time"))
    return StudySlot(
        DEFAULT_WEEKDAY if weekday is None else weekday,
        at or DEFAULT_TIME,
        zone or region.time_zone,
    )


def study_slot(enrollment: Enrollment) -> StudySlot:
    """The learner's chosen slot, else the default in their zone (their own, else region's)."""
    region = enrollment.rollout.region
    zone = enrollment.study_time_zone or enrollment.person.time_zone or region.time_zone
    default = default_study_slot(region, zone)
    return StudySlot(
        default.weekday if enrollment.study_weekday is None else enrollment.study_weekday,
        enrollment.study_time or default.at,
        zone,
    )


def zone_choices(enrollment: Enrollment) -> list[str]:
    """The time zones offered: the learner's own, their region's and every region's."""
    zones = set(db.session.scalars(select(Region.time_zone)))
    zones.add(enrollment.rollout.region.time_zone)
    if enrollment.person.time_zone:
        zones.add(enrollment.person.time_zone)
    return sorted(zones)


def parse_study_slot(weekday: str, at: str, zone: str) -> StudySlot:
    """The slot as the form posts it; CommitError when a part is unreadable."""
    try:
        day = int(weekday)
    except (TypeError, ValueError):
        day = -1
    clock = parse_hhmm(at)
    if not 0 <= day <= 6 or clock is None or zone not in _zones():
        raise CommitError("slot_invalid")
    return StudySlot(day, clock, zone)


def set_study_slot(*, enrollment: Enrollment, slot: StudySlot) -> None:
    """Store the learner's weekly study slot (the study-block invitation uses it)."""
    enrollment.study_weekday = slot.weekday
    enrollment.study_time = slot.at
    enrollment.study_time_zone = slot.zone


# --- "I can't take part" -----------------------------------------------------------------


def decline_enrollment(*, region: Region, enrollment: Enrollment, reason: str) -> bool:
    """The invited learner cannot take part: withdrawn with their reason, which the local
    lead reads on the rollout; audited. Returns False when the learner had already answered
    (a second click changes nothing). Raises CommitError without a reason."""
    reason = reason.strip()
    if enrollment.state is not EnrollmentState.INVITED:
        return False
    if len(reason) < 3:
        raise CommitError("reason_missing")
    if len(reason) > REASON_MAX:
        raise CommitError("reason_too_long")
    now = utcnow()
    enrollment.transition(EnrollmentState.WITHDRAWN, at=now)
    enrollment.declined_at = now
    enrollment.left_reason = reason
    record(
        region_id=region.id,
        action="enrollment.declined",
        obj=enrollment,
        actor=enrollment.person,
        channel="link",
        # the reason itself stays on the enrollment, which erasure blanks; the trail says
        # only that one was given
        data={"reason_chars": len(reason)},
    )
    db.session.flush()
    log.info("enrollment %s declined by the learner", enrollment.id)
    return True


def declined(rollout: Rollout) -> list[Enrollment]:
    """The learners of ``rollout`` who said they cannot take part, newest first."""
    return list(
        db.session.scalars(
            select(Enrollment)
            .where(
                Enrollment.rollout_id == rollout.id,
                Enrollment.region_id == rollout.region_id,
                Enrollment.declined_at.is_not(None),
            )
            .order_by(Enrollment.declined_at.desc())
        )
    )
