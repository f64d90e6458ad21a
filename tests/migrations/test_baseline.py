"""Baseline 4e9ac3a41fc6 replaced the 23 migrations that ended at b7e4c1d9a2f6.

``baseline_schema/<dialect>.txt`` is the schema those 23 migrations built (written by
:func:`tests.migrations.schema.describe` from databases upgraded with the old chain, at
git commit e6510dd). The baseline must keep building exactly that: a database made with
the old chain is re-stamped to the baseline, not rebuilt, so it and a new one must not
differ. Do not edit the baseline or these files: add a migration.

The backfill tests of the old chain went with it: a new database starts empty, and an old
one is accepted only at b7e4c1d9a2f6, where every backfill had already run.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from app.extensions import db
from tests.conftest import _postgres_database
from tests.migrations.schema import describe

BASELINE = "4e9ac3a41fc6"
OLD_HEAD = "b7e4c1d9a2f6"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


@pytest.fixture
def empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database on the suite's kind of server."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        yield from _postgres_database(os.environ["TEST_DATABASE_URL"])


@pytest.fixture
def empty_app(empty_database: str, make_app: Callable[..., Any]) -> Any:
    return make_app(database_url=empty_database)


def _version(app: Any) -> list[str]:
    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()


def _stamp(app: Any, revision: str) -> None:
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_the_baseline_builds_the_schema_the_replaced_chain_built(empty_app: Any) -> None:
    with empty_app.app_context():
        upgrade(revision=BASELINE)
        built = describe(db.engine)
        dialect = db.engine.dialect.name
    expected = (HERE / "baseline_schema" / f"{dialect}.txt").read_text().splitlines()
    diff = "\n".join(difflib.unified_diff(expected, built, "old chain", "baseline", lineterm=""))
    assert built == expected, diff


def test_summit_db_upgrade_takes_a_database_at_the_old_head_on_from_the_baseline(
    empty_app: Any, empty_database: str, redis_url: str
) -> None:
    with empty_app.app_context():
        upgrade(revision=BASELINE)  # the same schema as the old chain's head
        before = describe(db.engine)
        head = ScriptDirectory.from_config(
            empty_app.extensions["migrate"].migrate.get_config()
        ).get_current_head()
    _stamp(empty_app, OLD_HEAD)  # as the old chain left it
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "SUMMIT_ENV": "test",
        "DATABASE_URL": empty_database,
        "REDIS_URL": redis_url,
    }
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"Re-stamped {OLD_HEAD} (replaced) as baseline {BASELINE}" in done.stderr
    assert _version(empty_app) == [head]
    if head == BASELINE:  # nothing on top yet: the re-stamp changed no table
        with empty_app.app_context():
            assert describe(db.engine) == before


def test_a_database_part_way_through_the_replaced_chain_is_refused(empty_app: Any) -> None:
    with empty_app.app_context():
        upgrade(revision=BASELINE)
    _stamp(empty_app, "5d1c2e7a9b40")  # the old chain's last but one
    with empty_app.app_context():
        config = empty_app.extensions["migrate"].migrate.get_config()
        with pytest.raises(RuntimeError, match="part-way through the migrations"):
            command.upgrade(config, "head")
    assert _version(empty_app) == ["5d1c2e7a9b40"]
