"""Creating and editing programs: modules and terms, validated together."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from app.audit.services import record
from app.extensions import db
from app.language import gettext as _
from app.language import local_date
from app.programs.models import Module, Program, Term

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


@dataclass
class ModuleSpec:
    key: str
    title: str
    #: None when what was typed is not a number
    estimated_hours: float | None
    #: the row of the form it came from (where its messages are shown)
    row: int = -1
    #: the term (its row in the form) by whose end the module is due
    due_row: int | None = None


@dataclass
class TermSpec:
    #: None when missing or not a date
    starts_on: date | None
    ends_on: date | None
    #: keys of the modules newly due by the end of this term (earlier terms' stay due)
    module_keys: list[str] = field(default_factory=list)
    title: str = ""
    row: int = -1


@dataclass
class ProgramInput:
    slug: str
    title: str
    provider: str
    course_url: str
    description: str = ""
    hours_per_week: float | None = 2.0
    modules: list[ModuleSpec] = field(default_factory=list)
    terms: list[TermSpec] = field(default_factory=list)


class ProgramError(ValueError):
    """Refused; ``errors`` maps a field to the messages saying what to fix."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(m for ms in errors.values() for m in ms))


def module_field(row: int, name: str) -> str:
    """The form field (and error key) of a module row: ``module-3-title``."""
    return f"module-{row}-{name}"


def term_field(row: int, name: str) -> str:
    return f"term-{row}-{name}"


def due_keys(modules: list[ModuleSpec], terms: list[TermSpec]) -> None:
    """Fill each term's ``module_keys`` from the term each module row names."""
    by_row = {t.row: t for t in terms}
    for m in modules:
        term = by_row.get(m.due_row) if m.due_row is not None else None
        if term is not None:
            term.module_keys.append(m.key)


def validate(data: ProgramInput, program: Program | None) -> dict[str, list[str]]:
    """Every problem at once, each under the field it is about (a row's field for the
    modules and terms: ``module-2-title``, ``term-1-ends_on``)."""
    errors: dict[str, list[str]] = {}

    def bad(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not SLUG_RE.match(data.slug):
        bad("slug", _("Use 2–80 lower-case letters, digits or '-', e.g. cloud-2026."))
    else:
        other = db.session.scalars(select(Program.id).where(Program.slug == data.slug)).first()
        if other is not None and (program is None or other != program.id):
            bad("slug", _("Another program already uses this short name: choose another."))
    if not data.title.strip():
        bad("title", _("Give the program a title."))
    if not data.provider.strip():
        bad("provider", _("Name the platform hosting the course (e.g. Open edX, Coursera)."))
    if not data.course_url.startswith("https://"):
        bad("course_url", _("The course link must start with https://."))
    if data.hours_per_week is None or not 0 < data.hours_per_week <= 40:
        bad("hours_per_week", _("Hours per week must be more than 0 and at most 40."))
    if not data.modules:
        bad("modules", _("Add at least one module."))
    if not data.terms:
        bad("terms", _("Add at least one term."))
    term_rows = {t.row for t in data.terms}
    keys: set[str] = set()
    for m in data.modules:
        if not KEY_RE.match(m.key):
            bad(
                module_field(m.row, "key"),
                _("Give a short key of letters, digits, '-', '_' or '.', e.g. m1."),
            )
        elif m.key in keys:
            bad(module_field(m.row, "key"), _("This key is used twice; keys must be unique."))
        keys.add(m.key)
        if not m.title.strip():
            bad(module_field(m.row, "title"), _("Give the module a title."))
        if m.estimated_hours is None or not 0 < m.estimated_hours <= 200:
            bad(module_field(m.row, "hours"), _("Hours must be more than 0 and at most 200."))
        if m.due_row is None or m.due_row not in term_rows:
            bad(module_field(m.row, "due"), _("Choose the term by whose end it is due."))
    previous: TermSpec | None = None
    for t in data.terms:
        if not t.title.strip():
            bad(term_field(t.row, "title"), _("Give the term a title, e.g. Foundations."))
        if t.starts_on is None:
            bad(term_field(t.row, "starts_on"), _("Give the day the term starts."))
        if t.ends_on is None:
            bad(term_field(t.row, "ends_on"), _("Give the day the term ends."))
        if t.starts_on and t.ends_on and t.ends_on < t.starts_on:
            bad(term_field(t.row, "ends_on"), _("The term ends before it starts."))
        if previous and previous.ends_on and t.starts_on and t.starts_on <= previous.ends_on:
            bad(
                term_field(t.row, "starts_on"),
                _(
                    "It starts before the term above ends (%(end)s): terms follow each "
                    "other in date order without overlapping.",
                    end=local_date(previous.ends_on),
                ),
            )
        previous = t
    return errors


def save_program(*, program: Program | None, data: ProgramInput, actor: Any) -> Program:
    """Create or update a program, its modules (kept by key) and terms (by number).

    Modules removed from the list are deleted (with their progress); the term
    requirements are cumulative. Audited. Raises ProgramError naming every problem.
    """
    errors = validate(data, program)
    if errors:
        raise ProgramError(errors)
    due_keys(data.modules, data.terms)
    created = program is None
    if program is None:
        program = Program(slug=data.slug, title="", provider="", course_url="")
        db.session.add(program)
    program.slug = data.slug
    program.title = data.title.strip()
    program.provider = data.provider.strip()
    program.course_url = data.course_url.strip()
    program.description = data.description.strip()
    program.hours_per_week = data.hours_per_week  # type: ignore[assignment]
    existing = {m.key: m for m in program.modules}
    modules: dict[str, Module] = {}
    for position, spec in enumerate(data.modules):
        module = existing.get(spec.key) or Module(key=spec.key)
        module.title, module.estimated_hours, module.position = (
            spec.title.strip(),
            spec.estimated_hours,  # type: ignore[assignment]
            position,
        )
        modules[spec.key] = module
    program.modules = list(modules.values())
    terms = {t.number: t for t in program.terms}
    required: list[Module] = []
    new_terms = []
    for number, spec in enumerate(data.terms, start=1):
        term = terms.get(number) or Term(number=number)
        term.title = spec.title.strip()
        term.starts_on, term.ends_on = spec.starts_on, spec.ends_on  # type: ignore[assignment]
        required = required + [modules[k] for k in spec.module_keys]
        term.required_modules = list(required)
        new_terms.append(term)
    program.terms = new_terms
    db.session.flush()
    record(
        region_id=None,
        action="program.created" if created else "program.updated",
        obj=program,
        actor=actor,
        channel="web",
    )
    return program


def as_form_values(program: Program) -> dict[str, Any]:
    """A program written back into the form: its fields, a row per module and per term."""
    due: dict[int, int] = {}
    for row, t in enumerate(program.terms):
        for m in t.required_modules:
            due.setdefault(m.id, row)
    return {
        "slug": program.slug,
        "title": program.title,
        "provider": program.provider,
        "course_url": program.course_url,
        "description": program.description,
        "hours_per_week": f"{program.hours_per_week:g}",
        "modules": [
            {
                "order": str(position),
                "key": m.key,
                "title": m.title,
                "hours": f"{m.estimated_hours:g}",
                "due": str(due.get(m.id, "")),
            }
            for position, m in enumerate(program.modules, start=1)
        ],
        "terms": [
            {
                "title": t.title,
                "starts_on": t.starts_on.isoformat(),
                "ends_on": t.ends_on.isoformat(),
            }
            for t in program.terms
        ],
    }
