"""The read side of the journey: the learner's journey page, and the weekly email's figures
for the region report (a constant number of queries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, select

from app.calls.models import CallAttendance, CallSession
from app.extensions import db
from app.journey.models import EventKind, JourneyEvent, JourneyPause, JourneySend
from app.language import gettext
from app.masterclasses.models import MasterClass, MasterClassInvitation
from app.people.models import Person
from app.programs.models import Module
from app.progress.models import ModuleProgress
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState
from app.terms.pace import current_term, pace_for


@dataclass(frozen=True)
class TermStep:
    number: int
    title: str
    starts_on: date
    ends_on: date
    #: this term's own modules (those earlier terms did not already require), in order
    modules: list[tuple[Module, bool]]

    @property
    def done(self) -> int:
        return sum(1 for _, done in self.modules if done)

    @property
    def label(self) -> str:
        """Its title, as ``Term.label`` says it."""
        return self.title.strip() or gettext("Term %(n)s", n=self.number)


@dataclass
class Journey:
    enrollment: Enrollment
    goal: str | None
    terms: list[TermStep]
    modules_done: list[Module]
    #: modules the pace asks for by today and not done yet
    modules_due: list[Module]
    modules_total: int
    calls_attended: list[datetime]
    buddies: list[tuple[str, str]]
    master_classes: list[tuple[str, datetime, str]]
    paused: bool
    extra: dict[str, Any] = field(default_factory=dict)


def journey_of(enrollment: Enrollment, *, today: date | None = None) -> Journey:
    """Everything the journey page shows, read from the rows (a handful of queries)."""
    rollout = enrollment.rollout
    program = rollout.program
    zone = ZoneInfo(enrollment.person.time_zone or rollout.region.time_zone)
    today = today or datetime.now(zone).date()
    done_ids = set(
        db.session.scalars(
            select(ModuleProgress.module_id).where(
                ModuleProgress.enrollment_id == enrollment.id, ModuleProgress.completed.is_(True)
            )
        )
    )
    modules = sorted(program.modules, key=lambda m: (m.position, m.id))
    terms, seen = [], set()
    for term in sorted(program.terms, key=lambda t: t.number):
        ordered = sorted(term.required_modules, key=lambda m: (m.position, m.id))
        own = [m for m in ordered if m.id not in seen]
        seen |= {m.id for m in own}
        terms.append(
            TermStep(
                number=term.number,
                title=term.title,
                starts_on=term.starts_on,
                ends_on=term.ends_on,
                modules=[(m, m.id in done_ids) for m in own],
            )
        )
    # due: what the running term (else the last one over) requires and is not done yet
    due: list[Module] = []
    running = current_term(program, today) or max(
        (t for t in program.terms if t.ends_on < today), key=lambda t: t.number, default=None
    )
    if running is not None:
        required = pace_for(program, running).required_ids
        due = [m for m in modules if m.id in required and m.id not in done_ids]
    calls = list(
        db.session.scalars(
            select(CallSession.starts_at)
            .join(CallAttendance, CallAttendance.session_id == CallSession.id)
            .where(CallAttendance.enrollment_id == enrollment.id, CallAttendance.attended.is_(True))
            .order_by(CallSession.starts_at)
        )
    )
    buddies: list[tuple[str, str]] = []
    if enrollment.buddy_group is not None:
        buddies = [
            (name, state.value)
            for name, state in db.session.execute(
                select(Person.name, Enrollment.state)
                .join(Person, Person.id == Enrollment.person_id)
                .where(
                    Enrollment.buddy_group == enrollment.buddy_group,
                    Enrollment.id != enrollment.id,
                )
                .order_by(Person.name)
            ).tuples()
        ]
    classes = [
        (title, starts_at, status.value)
        for title, starts_at, status in db.session.execute(
            select(MasterClass.title, MasterClass.starts_at, MasterClassInvitation.status)
            .join(MasterClass, MasterClass.id == MasterClassInvitation.master_class_id)
            .where(MasterClassInvitation.enrollment_id == enrollment.id)
            .order_by(MasterClass.starts_at)
        ).tuples()
    ]
    paused = db.session.scalar(
        select(JourneyPause.id).where(JourneyPause.enrollment_id == enrollment.id)
    )
    return Journey(
        enrollment=enrollment,
        goal=enrollment.goal,
        terms=terms,
        modules_done=[m for m in modules if m.id in done_ids],
        modules_due=due,
        modules_total=len(modules),
        calls_attended=calls,
        buddies=buddies,
        master_classes=classes,
        paused=paused is not None,
    )


def still_in_program(enrollment: Enrollment) -> bool:
    return enrollment.state not in (EnrollmentState.WITHDRAWN, EnrollmentState.REMOVED)


@dataclass(frozen=True)
class EmailFigures:
    sent: int
    #: None: opens are not measured in this region (its policy is ``aggregate``)
    opened: int | None
    clicked: int

    @property
    def open_rate(self) -> float | None:
        if self.opened is None or not self.sent:
            return None
        return self.opened / self.sent

    @property
    def click_rate(self) -> float | None:
        return self.clicked / self.sent if self.sent else None


def email_figures(region: Region, week: str) -> EmailFigures:
    """Open and click-through of the region's weekly email of ``week``: sends, distinct
    sends opened (only where opens are measured) and distinct sends clicked. Two queries."""
    sent, measured = db.session.execute(
        select(
            func.count(JourneySend.id),
            func.count(JourneySend.id).filter(JourneySend.measures_opens.is_(True)),
        ).where(JourneySend.region_id == region.id, JourneySend.week == week)
    ).one()
    counts = dict(
        db.session.execute(
            select(JourneyEvent.kind, func.count(distinct(JourneyEvent.send_id)))
            .join(JourneySend, JourneySend.id == JourneyEvent.send_id)
            .where(JourneySend.region_id == region.id, JourneySend.week == week)
            .group_by(JourneyEvent.kind)
        )
        .tuples()
        .all()
    )
    opened = None
    if region.names_individuals and (measured or not sent):
        opened = int(counts.get(EventKind.OPEN, 0))
    return EmailFigures(sent=int(sent), opened=opened, clicked=int(counts.get(EventKind.CLICK, 0)))
