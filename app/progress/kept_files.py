"""The uploaded files an import keeps (for applying them again once their units are mapped):
the last few per rollout, deleted on erasure and past retention."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from app.extensions import db
from app.progress.models import ImportStatus, ProgressImport

#: files of a rollout's most recent imports kept for re-applying after a mapping
KEEP_FILES = 5


def file_kept(record: ProgressImport) -> bool:
    return bool(record.stored_path) and Path(record.stored_path).is_file()


def drop_old_files(*, rollout_id: int) -> None:
    """Delete the files of a rollout's imports older than the last ``KEEP_FILES``. Flushes."""
    old = db.session.execute(
        select(ProgressImport.id, ProgressImport.stored_path)
        .where(
            ProgressImport.rollout_id == rollout_id,
            ProgressImport.stored_path != "",
            ProgressImport.status.in_([ImportStatus.DONE, ImportStatus.FAILED]),
        )
        .order_by(ProgressImport.id.desc())
        .offset(KEEP_FILES)
    ).all()
    if not old:
        return
    for _, stored in old:
        Path(stored).unlink(missing_ok=True)
    db.session.execute(
        update(ProgressImport)
        .where(ProgressImport.id.in_([i for i, _ in old]))
        .values(stored_path="")
        .execution_options(synchronize_session=False)
    )


def forget_files(*, rollout_ids: Any) -> None:
    """Delete the kept upload files of these rollouts (``rollout_ids``: ids or a select of
    them), for a person's erasure or a rollout past retention. Flushes."""
    kept = db.session.execute(
        select(ProgressImport.id, ProgressImport.stored_path).where(
            ProgressImport.rollout_id.in_(rollout_ids), ProgressImport.stored_path != ""
        )
    ).all()
    for _, stored in kept:
        Path(stored).unlink(missing_ok=True)
    if kept:
        db.session.execute(
            update(ProgressImport)
            .where(ProgressImport.id.in_([i for i, _ in kept]))
            .where(ProgressImport.status != ImportStatus.NEEDS_MAPPING)
            .values(stored_path="")
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(ProgressImport)
            .where(
                ProgressImport.id.in_([i for i, _ in kept]),
                ProgressImport.status == ImportStatus.NEEDS_MAPPING,
            )
            .values(stored_path="", status=ImportStatus.FAILED, error="file erased")
            .execution_options(synchronize_session=False)
        )
