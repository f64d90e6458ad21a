"""factory_boy factories for the domain; they flush into the test's session."""

from __future__ import annotations

from datetime import date, time, timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import select

from app.auth.models import Role, RoleAssignment, StaffUser
from app.extensions import db
from app.people.models import Person
from app.programs.models import Module, Program, Term
from app.regions.models import Region
from app.rollouts.models import Enrollment, EnrollmentState, Rollout, RolloutSponsor


def region(code: str) -> Region:
    """One of the synced example regions (de, fr, in, us)."""
    return db.session.scalars(select(Region).where(Region.code == code)).one()


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class StaffFactory(Base):
    class Meta:
        model = StaffUser

    name = factory.Sequence(lambda n: f"Staff Member {n}")
    email = factory.Sequence(lambda n: f"staff{n}@example.com")

    @factory.post_generation
    def role(
        self, create: bool, extracted: tuple[Role, Region | None] | None, **kwargs: object
    ) -> None:
        if extracted:
            role, reg = extracted
            self.roles.append(RoleAssignment(role=role, region_id=reg.id if reg else None))
            db.session.flush()


def staff(role: Role, region_code: str | None = None, **kwargs: object) -> StaffUser:
    return StaffFactory(role=(role, region(region_code) if region_code else None), **kwargs)


class PersonFactory(Base):
    class Meta:
        model = Person

    employee_id = factory.Sequence(lambda n: f"E{100000 + n}")
    name = factory.Sequence(lambda n: f"Learner {n}")
    email = factory.Sequence(lambda n: f"learner{n}@example.com")
    region_id = factory.LazyFunction(lambda: region("de").id)


class ProgramFactory(Base):
    """A program with 6 modules over 3 terms of 4 weeks, starting ``starts_on``."""

    class Meta:
        model = Program

    slug = factory.Sequence(lambda n: f"program-{n}")
    title = factory.Sequence(lambda n: f"Program {n}")
    provider = "Open edX"
    course_url = "https://learning.example.com/course"
    hours_per_week = 2.0

    @factory.post_generation
    def structure(self, create: bool, extracted: date | None, **kwargs: object) -> None:
        start = extracted or date(2026, 9, 7)
        modules = [
            Module(key=f"m{i}", title=f"Module {i}", estimated_hours=2.0, position=i)
            for i in range(1, 7)
        ]
        self.modules = modules
        for n in range(1, 4):
            term = Term(
                number=n,
                title=f"Term {n}",
                starts_on=start + timedelta(weeks=4 * (n - 1)),
                ends_on=start + timedelta(weeks=4 * n, days=-1),
            )
            term.required_modules = modules[: 2 * n]
            self.terms.append(term)
        db.session.flush()


class RolloutFactory(Base):
    class Meta:
        model = Rollout

    slug = factory.Sequence(lambda n: f"rollout-{n}")
    program = factory.SubFactory(ProgramFactory)
    region_id = factory.LazyFunction(lambda: region("de").id)
    cohort_start = date(2026, 9, 7)
    call_weekday = 3
    call_time = time(16, 0)
    call_duration_minutes = 45

    @factory.post_generation
    def sponsor(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if extracted:
            self.sponsors.append(
                RolloutSponsor(
                    region_id=self.region_id, name=extracted, email="sponsor@example.com"
                )
            )
            db.session.flush()


class EnrollmentFactory(Base):
    class Meta:
        model = Enrollment

    rollout = factory.SubFactory(RolloutFactory)
    person = factory.SubFactory(
        PersonFactory, region_id=factory.SelfAttribute("..rollout.region_id")
    )
    region_id = factory.SelfAttribute("rollout.region_id")
    state = EnrollmentState.INVITED
