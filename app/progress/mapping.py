"""Provider unit names → Summit modules, per program."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, String, cast, literal, null, select, union_all

from app.extensions import db
from app.programs.models import Module, Program
from app.progress.models import UnitMapping
from app.progress.values import fold, unit_key

#: a unit the program's mapping ignores on purpose
IGNORED = 0


@dataclass
class UnitResolver:
    """Resolve unit names to module ids: the program's overrides first, then titles and keys.

    Keeps the names it could not place (for the import report). A handful of
    distinct names per file, so the cache stays small.
    """

    program_id: int
    by_key: dict[str, int] = field(default_factory=dict)
    by_iri: dict[str, int] = field(default_factory=dict)
    unmapped: dict[str, int] = field(default_factory=dict)
    #: folded module titles → module ids
    titles: dict[str, int] = field(default_factory=dict)
    #: also place a bare name on the one module whose title starts with it (Open edX grade
    #: reports head a grading type with a single subsection by the type alone)
    match_title_start: bool = False
    #: how many modules the program has
    modules: int = 0
    _cache: dict[str, int | None] = field(default_factory=dict)

    @classmethod
    def for_program(cls, program: Program | int) -> UnitResolver:
        program_id = program if isinstance(program, int) else program.id
        # the modules and the overrides in one round trip
        both = union_all(*cls.row_selects(literal(program_id))).subquery()
        return cls.from_rows(
            program_id, db.session.execute(select(both).order_by(both.c.kind, both.c.module_id))
        )

    @staticmethod
    def row_selects(program_id: Any) -> tuple[Select[Any], Select[Any]]:
        """The program's modules (kind 0: module id, title, key, activity IRI) and overrides
        (kind 1: module id or NULL, unit key), for a UNION ALL; ``program_id`` a literal or
        a bound parameter. Read them in kind and module id order with :meth:`from_rows`."""
        modules = select(
            literal(0).label("kind"),
            Module.id.label("module_id"),
            Module.title,
            Module.key,
            Module.activity_iri,
        ).where(Module.program_id == program_id)
        overrides = select(
            literal(1),
            UnitMapping.module_id,
            cast(null(), String),
            UnitMapping.unit_key,
            cast(null(), String),
        ).where(UnitMapping.program_id == program_id)
        return modules, overrides

    @classmethod
    def from_rows(cls, program_id: int, rows: Iterable[Any]) -> UnitResolver:
        """The resolver of :meth:`row_selects`'s rows (kind, module id, title, key, IRI)."""
        resolver = cls(program_id=program_id)
        for kind, module_id, title, key, iri in rows:
            if kind == 0:
                resolver.modules += 1
                resolver.by_key.setdefault(fold(title), module_id)
                resolver.titles[fold(title)] = module_id
                resolver.by_key.setdefault(fold(key), module_id)
                if iri:
                    resolver.by_iri[iri.strip()] = module_id
            else:
                resolver.by_key[key] = module_id or IGNORED
        return resolver

    def module_for(self, name: str) -> int | None:
        """The module id for a provider unit, None when unmapped or ignored."""
        if name in self._cache:
            return self._cache[name]
        found = self._lookup(name)
        if found is None:
            self.unmapped[name] = 0
        result = found or None
        self._cache[name] = result
        return result

    def knows(self, name: str) -> bool:
        """Whether a unit name maps to a module or is ignored on purpose (no note taken)."""
        return self._lookup(name) is not None

    def _lookup(self, name: str) -> int | None:
        found = self.by_key.get(unit_key(name))
        if found is None:
            found = self.by_key.get(fold(name))
        if found is None and self.match_title_start and unit_key(name) == fold(name):
            found = self._by_title_start(fold(name))
        return found

    def _by_title_start(self, folded: str) -> int | None:
        """Open edX heads a grading type with one subsection by the type alone (``Final
        Exam``): the one module whose title starts with that name (``Final exam: capstone``)."""
        if not folded:
            return None
        starts = {m for title, m in self.titles.items() if title.startswith(folded + " ")}
        return starts.pop() if len(starts) == 1 else None

    def note_unmapped(self, name: str) -> None:
        self.unmapped[name] = self.unmapped.get(name, 0) + 1


def set_unit_mapping(*, program: Program, unit_name: str, module: Module | None) -> UnitMapping:
    """Map (or, with ``module=None``, ignore) a provider unit for a program. Flushes."""
    key = unit_key(unit_name)
    row = db.session.scalars(
        select(UnitMapping).where(UnitMapping.program_id == program.id, UnitMapping.unit_key == key)
    ).one_or_none()
    if row is None:
        row = UnitMapping(program_id=program.id, unit_key=key, unit_name=unit_name)
        db.session.add(row)
    row.unit_name = unit_name
    row.module_id = module.id if module is not None else None
    db.session.flush()
    return row
