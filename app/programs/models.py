"""Program: the global course, its modules and its terms."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.language import gettext

#: the modules a learner must have completed by the end of a term
term_required_module = Table(
    "term_required_module",
    Base.metadata,
    Column("term_id", ForeignKey("term.id", ondelete="CASCADE"), primary_key=True),
    Column("module_id", ForeignKey("module.id", ondelete="CASCADE"), primary_key=True),
)


class Program(Base):
    __tablename__ = "program"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    #: the platform hosting the course: Open edX, Coursera, Moodle, LinkedIn Learning...
    provider: Mapped[str] = mapped_column(String(80))
    course_url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    #: study time per week asked of managers for each learner
    hours_per_week: Mapped[float] = mapped_column(default=2.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    modules: Mapped[list[Module]] = relationship(
        back_populates="program", order_by="Module.position", cascade="all, delete-orphan"
    )
    terms: Mapped[list[Term]] = relationship(
        back_populates="program", order_by="Term.number", cascade="all, delete-orphan"
    )

    @property
    def total_hours(self) -> float:
        return sum(m.estimated_hours for m in self.modules)

    @property
    def starts_on(self) -> date | None:
        return self.terms[0].starts_on if self.terms else None

    @property
    def ends_on(self) -> date | None:
        return self.terms[-1].ends_on if self.terms else None


class Module(Base):
    __tablename__ = "module"
    __table_args__ = (UniqueConstraint("program_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("program.id", ondelete="CASCADE"), index=True
    )
    #: short stable key, e.g. "m3"
    key: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    estimated_hours: Mapped[float] = mapped_column(default=1.0)
    position: Mapped[int] = mapped_column(default=0)
    #: the xAPI activity IRI the course uses for this module, when known
    activity_iri: Mapped[str | None] = mapped_column(String(500))

    program: Mapped[Program] = relationship(back_populates="modules")


class Term(Base):
    __tablename__ = "term"
    __table_args__ = (UniqueConstraint("program_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        ForeignKey("program.id", ondelete="CASCADE"), index=True
    )
    #: 1, 2, 3... in date order
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]

    program: Mapped[Program] = relationship(back_populates="terms")

    @property
    def label(self) -> str:
        """What the pages call the term: its title, or "Term 2" for one saved without."""
        return self.title.strip() or gettext("Term %(n)s", n=self.number)

    required_modules: Mapped[list[Module]] = relationship(
        secondary=term_required_module, order_by="Module.position"
    )
