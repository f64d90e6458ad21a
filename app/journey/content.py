"""What one weekly email says: read per batch (a fixed number of queries) and rendered.

Per rollout (cached for the whole run): the program's modules and terms, the pace by the
end of the week, this week's call and the note of the week. Per batch: the learners, the
modules each has completed, their buddies and the buddies' progress.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.calls.models import CallSession, CallStatus
from app.extensions import db
from app.journey.models import JourneyNote
from app.mail.rendering import EmailShape, RenderedEmail, render_email, render_shape, slot
from app.people.models import Person
from app.programs.models import Module, Program
from app.progress.models import ModuleProgress
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout
from app.terms.pace import current_term, pace_for
from app.weeks import week_monday

KIND = "journey/weekly"
#: the measured links of a weekly email (``journey_public.follow``)
TARGETS = ("journey", "question", "course")
#: how many of the week's modules the email names
MODULES_SHOWN = 3
NOTE_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class Pace:
    done: int
    #: completed modules expected by the end of the week (None: no term running)
    expected: int | None
    total: int

    @property
    def percent_done(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def percent_expected(self) -> int:
        return round(100 * (self.expected or 0) / self.total) if self.total else 0

    @property
    def behind(self) -> int:
        return max((self.expected or 0) - self.done, 0)


@dataclass(frozen=True)
class Buddy:
    name: str
    done: int
    left: bool


@dataclass
class Learner:
    enrollment_id: int
    person_id: int
    rollout_id: int
    name: str
    email: str
    locale: str
    time_zone: str
    done_ids: set[int] = field(default_factory=set)
    buddies: list[Buddy] = field(default_factory=list)


@dataclass
class RolloutWeek:
    rollout: Rollout
    program: Program
    modules: list[Module]
    #: the modules' ids, in order (read per learner: no ORM attribute access)
    module_ids: tuple[int, ...]
    #: module ids due by the end of the running term (empty: no term runs)
    term_ids: frozenset[int]
    term_title: str
    term_ends_on: Any
    expected: int | None
    call: CallSession | None
    note: JourneyNote | None


class WeekContent:
    """The weekly email of one region and week, for any batch of its learners."""

    def __init__(self, *, region: Region, week: str, now: datetime) -> None:
        self.region, self.week, self.now = region, week, now
        zone = ZoneInfo(region.time_zone)
        monday = week_monday(week)
        self.starts = datetime.combine(monday, time(0), tzinfo=zone).astimezone(UTC)
        self.ends = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone).astimezone(
            UTC
        )
        self.end_day = monday + timedelta(days=7)
        self._rollouts: dict[int, RolloutWeek] = {}
        #: one rendering per language, zone and content variant (:meth:`render_fast`)
        self._shapes: dict[tuple[Any, ...], EmailShape] = {}

    def rollout(self, rollout_id: int) -> RolloutWeek:
        if rollout_id not in self._rollouts:
            self._rollouts[rollout_id] = self._load_rollout(rollout_id)
        return self._rollouts[rollout_id]

    def _load_rollout(self, rollout_id: int) -> RolloutWeek:
        rollout = db.session.get(Rollout, rollout_id)
        assert rollout is not None
        program = rollout.program
        modules = sorted(program.modules, key=lambda m: (m.position, m.id))
        term = current_term(program, self.end_day - timedelta(days=1))
        term_ids: frozenset[int] = frozenset()
        expected = None
        if term is not None:
            pace = pace_for(program, term)
            term_ids, expected = pace.required_ids, pace.expected_by(self.end_day)
        call = db.session.scalars(
            select(CallSession)
            .where(
                CallSession.rollout_id == rollout_id,
                CallSession.status == CallStatus.SCHEDULED,
                CallSession.starts_at >= self.starts,
                CallSession.starts_at < self.ends,
            )
            .order_by(CallSession.starts_at)
            .limit(1)
        ).first()
        note = db.session.scalars(
            select(JourneyNote).where(JourneyNote.rollout_id == rollout_id)
        ).one_or_none()
        if note is not None and (
            not note.text or not self.now - NOTE_LIFETIME <= note.updated_at <= self.now
        ):
            note = None
        return RolloutWeek(
            rollout=rollout,
            program=program,
            modules=modules,
            module_ids=tuple(m.id for m in modules),
            term_ids=term_ids,
            term_title=term.title if term is not None else "",
            term_ends_on=term.ends_on if term is not None else None,
            expected=expected,
            call=call,
            note=note,
        )

    def learners(self, claimed: list[tuple[int, int]]) -> list[tuple[int, Learner]]:
        """(send id, learner) for the claimed sends: three queries for the whole batch."""
        ids = [enrollment_id for _, enrollment_id in claimed]
        rows = db.session.execute(
            select(
                Enrollment.id,
                Enrollment.rollout_id,
                Enrollment.buddy_group,
                Person.id,
                Person.name,
                Person.email,
                Person.locale,
                Person.time_zone,
            )
            .join(Person, Person.id == Enrollment.person_id)
            .where(Enrollment.id.in_(ids))
        ).all()
        learners: dict[int, Learner] = {}
        groups: dict[int, int] = {}
        for eid, rollout_id, group, pid, name, email, locale, zone in rows:
            learners[eid] = Learner(
                enrollment_id=eid,
                person_id=pid,
                rollout_id=rollout_id,
                name=name,
                email=email,
                locale=locale or self.region.locale,
                time_zone=zone or self.region.time_zone,
            )
            if group is not None:
                groups[eid] = group
        for eid, module_id in db.session.execute(
            select(ModuleProgress.enrollment_id, ModuleProgress.module_id).where(
                ModuleProgress.enrollment_id.in_(ids), ModuleProgress.completed.is_(True)
            )
        ):
            learners[eid].done_ids.add(module_id)
        if groups:
            done = (
                select(func.count(ModuleProgress.id))
                .where(
                    ModuleProgress.enrollment_id == Enrollment.id,
                    ModuleProgress.completed.is_(True),
                )
                .correlate(Enrollment)
                .scalar_subquery()
            )
            members: dict[int, list[tuple[int, Buddy]]] = defaultdict(list)
            for eid, group, name, state, count in db.session.execute(
                select(Enrollment.id, Enrollment.buddy_group, Person.name, Enrollment.state, done)
                .join(Person, Person.id == Enrollment.person_id)
                .where(Enrollment.buddy_group.in_(set(groups.values())))
            ):
                left = state in (EnrollmentState.WITHDRAWN, EnrollmentState.REMOVED)
                members[group].append((eid, Buddy(name=name, done=int(count), left=left)))
            for eid, group in groups.items():
                learners[eid].buddies = [b for other, b in members[group] if other != eid]
        return [(send_id, learners[eid]) for send_id, eid in claimed if eid in learners]

    def context(self, learner: Learner, *, links: dict[str, str]) -> dict[str, Any]:
        week = self.rollout(learner.rollout_id)
        done = len(learner.done_ids & {m.id for m in week.modules})
        pace = Pace(done=done, expected=week.expected, total=len(week.modules))
        due = [m for m in week.modules if m.id in week.term_ids and m.id not in learner.done_ids]
        return {
            "name": learner.name,
            "program": week.program.title,
            "term_title": week.term_title,
            "term_ends_on": week.term_ends_on,
            "modules": due[:MODULES_SHOWN],
            "more_modules": max(len(due) - MODULES_SHOWN, 0),
            "pace": pace,
            "buddies": learner.buddies,
            "call": week.call,
            "note": week.note,
            "links": {**links, "question": links["question"] if week.call else ""},
            "week": self.week,
        }

    def shape_key(self, learner: Learner) -> tuple[Any, ...]:
        """What, besides the slotted values, makes two learners' emails differ."""
        week = self.rollout(learner.rollout_id)
        module_ids = week.module_ids
        due = [i for i in module_ids if i in week.term_ids and i not in learner.done_ids]
        done = len(learner.done_ids.intersection(module_ids))
        buddies = tuple((b.done, b.left) for b in learner.buddies)
        return (learner.locale, learner.time_zone, learner.rollout_id, done, tuple(due), buddies)

    def render_fast(self, learner: Learner, *, links: dict[str, str]) -> RenderedEmail:
        """:meth:`render`'s email, from a shape rendered once per :meth:`shape_key` and
        filled with the learner's name, their buddies' names and their links."""
        key = self.shape_key(learner)
        shape = self._shapes.get(key)
        if shape is None:
            slotted = Learner(
                enrollment_id=learner.enrollment_id,
                person_id=learner.person_id,
                rollout_id=learner.rollout_id,
                name=slot("name"),
                email=learner.email,
                locale=learner.locale,
                time_zone=learner.time_zone,
                done_ids=learner.done_ids,
                buddies=[
                    Buddy(name=slot(f"buddy{i}"), done=b.done, left=b.left)
                    for i, b in enumerate(learner.buddies)
                ],
            )
            shape = render_shape(
                KIND,
                locale=learner.locale,
                time_zone=learner.time_zone,
                context=self.context(slotted, links={k: slot(f"link_{k}") for k in links}),
            )
            self._shapes[key] = shape
        values = {f"link_{k}": v for k, v in links.items()}
        values["name"] = learner.name
        for i, buddy in enumerate(learner.buddies):
            values[f"buddy{i}"] = buddy.name
        return shape.fill(values)

    def render(self, learner: Learner, *, links: dict[str, str]) -> RenderedEmail:
        return render_email(
            KIND,
            locale=learner.locale,
            time_zone=learner.time_zone,
            context=self.context(learner, links=links),
        )
