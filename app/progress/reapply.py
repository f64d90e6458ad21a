"""Placing an import's unmatched units on modules, and applying its kept file again."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.programs.models import Module
from app.progress.importing import create_import
from app.progress.kept_files import file_kept
from app.progress.mapping import set_unit_mapping
from app.progress.models import ProgressImport

log = logging.getLogger(__name__)

IGNORE = "ignore"


def map_units_and_reapply(
    *,
    record: ProgressImport,
    choices: dict[str, str],
    created_by_id: int | None,
) -> ProgressImport | None:
    """Map each of ``record``'s unmatched units to the chosen module of the program (a module
    id) or ignore it (``"ignore"``); blank choices are left alone. Then queue the same file
    again as a new import (after commit), when it is still kept. Returns the new import, or
    None when nothing was mapped or the file is gone. Raises ValueError for a module that is
    not the program's or a unit the import did not report. Flushes.
    """
    program = record.rollout.program
    modules = {
        str(m.id): m
        for m in db.session.scalars(select(Module).where(Module.program_id == program.id))
    }
    reported = set((record.report or {}).get("unmapped_units") or {})
    chosen: list[tuple[str, Module | None]] = []
    for unit, choice in choices.items():
        if not choice:
            continue
        if unit not in reported:
            raise ValueError(f"{unit!r} is not a unit of this import")
        if choice == IGNORE:
            chosen.append((unit, None))
        elif choice in modules:
            chosen.append((unit, modules[choice]))
        else:
            raise ValueError(f"no module {choice!r} in {program.title}")
    if not chosen:
        return None
    for unit, module in chosen:
        set_unit_mapping(program=program, unit_name=unit, module=module)
        log.info(
            "unit %r of program %s mapped to %s (import %s)",
            unit,
            program.id,
            module.key if module else "nothing",
            record.id,
        )
    if not file_kept(record):
        return None
    path = Path(record.stored_path)
    with path.open("rb") as stream:
        again = create_import(
            region=record.rollout.region,
            rollout=record.rollout,
            filename=record.filename,
            stream=stream,
            requested_format=record.requested_format,
            created_by_id=created_by_id,
            options=dict((record.report or {}).get("options") or {}),
        )
    return again
