"""Creating and editing programs: modules and terms, validated together."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from app.audit.services import record
from app.extensions import db
from app.programs.models import Module, Program, Term

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


@dataclass
class ModuleSpec:
    key: str
    title: str
    estimated_hours: float


@dataclass
class TermSpec:
    starts_on: date
    ends_on: date
    #: keys of the modules newly due by the end of this term (earlier terms' stay due)
    module_keys: list[str]
    title: str = ""


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


def parse_modules(text: str) -> tuple[list[ModuleSpec], list[str]]:
    """Lines "key | title | hours" → modules, and a message for each unreadable line."""
    modules, problems = [], []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split("|")]
        if len(parts) != 3:
            problems.append(f"Module line {n}: write key | title | hours (e.g. m1 | Basics | 4).")
            continue
        try:
            hours = float(parts[2].replace(",", "."))
        except ValueError:
            problems.append(f"Module line {n}: hours must be a number (e.g. 4 or 2.5).")
            continue
        modules.append(ModuleSpec(key=parts[0], title=parts[1], estimated_hours=hours))
    return modules, problems


def parse_terms(text: str) -> tuple[list[TermSpec], list[str]]:
    """Lines "start | end | module keys" (dates YYYY-MM-DD) → terms, and messages."""
    terms, problems = [], []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split("|")]
        if len(parts) not in (3, 4):
            problems.append(
                f"Term line {n}: write start | end | module keys "
                "(e.g. 2026-09-07 | 2026-10-18 | m1 m2)."
            )
            continue
        try:
            start, end = date.fromisoformat(parts[0]), date.fromisoformat(parts[1])
        except ValueError:
            problems.append(f"Term line {n}: dates must look like 2026-09-07.")
            continue
        keys = [k for k in re.split(r"[\s,;]+", parts[2]) if k]
        terms.append(
            TermSpec(
                starts_on=start,
                ends_on=end,
                module_keys=keys,
                title=parts[3] if len(parts) == 4 else "",
            )
        )
    return terms, problems


def validate(data: ProgramInput, program: Program | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def bad(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not SLUG_RE.match(data.slug):
        bad("slug", "Use 2–80 lower-case letters, digits or '-', e.g. cloud-2026.")
    else:
        other = db.session.scalars(select(Program.id).where(Program.slug == data.slug)).first()
        if other is not None and (program is None or other != program.id):
            bad("slug", "Another program already uses this short name: choose another.")
    if not data.title.strip():
        bad("title", "Give the program a title.")
    if not data.provider.strip():
        bad("provider", "Name the platform hosting the course (e.g. Open edX, Coursera).")
    if not data.course_url.startswith("https://"):
        bad("course_url", "The course link must start with https://.")
    if data.hours_per_week is None or not 0 < data.hours_per_week <= 40:
        bad("hours_per_week", "Hours per week must be more than 0 and at most 40.")
    if not data.modules:
        bad("modules", "Add at least one module.")
    keys: set[str] = set()
    for m in data.modules:
        if not KEY_RE.match(m.key):
            bad("modules", f"Module key {m.key!r}: letters, digits, '-', '_' or '.' only.")
        if m.key in keys:
            bad("modules", f"Module key {m.key!r} is used twice; keys must be unique.")
        keys.add(m.key)
        if not m.title:
            bad("modules", f"Module {m.key!r} needs a title.")
        if not 0 < m.estimated_hours <= 200:
            bad("modules", f"Module {m.key!r}: hours must be more than 0 and at most 200.")
    if not data.terms:
        bad("terms", "Add at least one term.")
    due: set[str] = set()
    for n, t in enumerate(data.terms, start=1):
        if t.ends_on < t.starts_on:
            bad("terms", f"Term {n} ends before it starts: check the order of its two dates.")
        if n > 1:
            prev = data.terms[n - 2]
            if t.starts_on <= prev.ends_on:
                bad("terms", f"Term {n} starts before term {n - 1} ends: terms may not overlap.")
        for key in t.module_keys:
            if key not in keys:
                bad("terms", f"Term {n} requires module {key!r}, which is not in the modules.")
            elif key in due:
                bad("terms", f"Term {n}: module {key!r} is already due by an earlier term.")
            due.add(key)
    never = [m.key for m in data.modules if m.key not in due]
    if data.terms and never:
        bad(
            "terms",
            f"Every module must be required by the last term; not yet due: {', '.join(never)}.",
        )
    return errors


def save_program(*, program: Program | None, data: ProgramInput, actor: Any) -> Program:
    """Create or update a program, its modules (kept by key) and terms (by number).

    Modules removed from the list are deleted (with their progress); the term
    requirements are cumulative. Audited. Raises ProgramError naming every problem.
    """
    errors = validate(data, program)
    if errors:
        raise ProgramError(errors)
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
            spec.title,
            spec.estimated_hours,
            position,
        )
        modules[spec.key] = module
    program.modules = list(modules.values())
    terms = {t.number: t for t in program.terms}
    required: list[Module] = []
    new_terms = []
    for number, spec in enumerate(data.terms, start=1):
        term = terms.get(number) or Term(number=number)
        term.title = spec.title or f"Term {number}"
        term.starts_on, term.ends_on = spec.starts_on, spec.ends_on
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


def as_form_values(program: Program) -> dict[str, str]:
    """A program written back into the form's fields."""
    previous: set[str] = set()
    term_lines = []
    for t in program.terms:
        keys = [m.key for m in t.required_modules if m.key not in previous]
        previous |= {m.key for m in t.required_modules}
        term_lines.append(
            f"{t.starts_on.isoformat()} | {t.ends_on.isoformat()} | {' '.join(keys)} | {t.title}"
        )
    return {
        "slug": program.slug,
        "title": program.title,
        "provider": program.provider,
        "course_url": program.course_url,
        "description": program.description,
        "hours_per_week": f"{program.hours_per_week:g}",
        "modules": "\n".join(
            f"{m.key} | {m.title} | {m.estimated_hours:g}" for m in program.modules
        ),
        "terms": "\n".join(term_lines),
    }
