"""50,000 rows of every progress format through the job path (upload → RQ job in a real
`summit worker` → done), in UTF-8 and in the Windows code page Excel saves CSV in.

Fails on the old job (PostgreSQL): the job's transaction held its ``progress_import``
row while its own progress reporter waited on it from a second connection, so every
import but the Summit CSV fast path hung until the job timeout. The files are the
fixtures of ``tests/progress/fixtures`` (sources in their tests) with their data rows
repeated under new learner ids.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.progress.models import ImportStatus, ProgressImport
from app.progress.services import create_import
from tests.progress.helpers import FIXTURES, make_course

ROWS = 50_000
SUMMIT = str(Path(sys.executable).with_name("summit"))
COURSERA_MAPPING = {
    "learner_column": "External Id",
    "learner_kind": "employee_id",
    "unit_column": "Module Name",
    "percent_column": "Percent Complete",
    "completed_column": "Module Completed",
    "completed_values": ["Yes"],
    "observed_at_column": "Last Activity Time",
}
#: (fixture, format asked for, encoding written, options)
#: oldest observations first: an older one never overwrites a newer one
CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("summit_progress.csv", "auto", "utf-8", {}),
    ("summit_progress.csv", "summit", "cp1252", {}),
    ("SummitX_SEF_2026_grade_report_2026-10-05-1047.csv", "auto", "utf-8", {}),
    ("SummitX_SEF_2026_problem_grade_report_2026-10-06-0900.csv", "auto", "utf-8", {}),
    ("moodle_completion_en.csv", "auto", "utf-8", {}),
    ("moodle_completion_de.csv", "auto", "utf-8-sig", {}),
    ("moodle_completion_de.csv", "moodle", "cp1252", {}),
    ("linkedin_learning_learner_detail.csv", "auto", "utf-8", {}),
    ("coursera_module_progress.csv", "generic", "utf-8", {"mapping": COURSERA_MAPPING}),
]
_EMAIL = re.compile(r"([\w.+-]+)@")
_EMPLOYEE = re.compile(r"\bE(100\d)\b")


def _scaled(fixture: str, encoding: str) -> bytes:
    """The fixture's header and rows, then its rows again under new learners, to ROWS rows."""
    text = (FIXTURES / fixture).read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    header, rows = lines[0], [line for line in lines[1:] if line.strip()]
    out = io.StringIO()
    out.write(header + "\n")
    for n in range(ROWS):
        line = rows[n % len(rows)]
        if n >= len(rows):
            line = _EMAIL.sub(lambda m, n=n: f"{m.group(1)}.copy{n}@", line)
            line = _EMPLOYEE.sub(lambda m, n=n: f"G{n}x{m.group(1)}", line)
        out.write(line + "\n")
    return out.getvalue().encode(encoding)


def test_fifty_thousand_rows_of_every_format_through_the_job(app_settings, tmp_path) -> None:
    course = make_course()
    records = []
    for fixture, fmt, encoding, options in CASES:
        records.append(
            create_import(
                region=course.rollout.region,
                rollout=course.rollout,
                filename=fixture,
                stream=io.BytesIO(_scaled(fixture, encoding)),
                requested_format=fmt,
                options=options,
            )
        )
    db.session.commit()
    ids = [r.id for r in records]
    env = {
        **os.environ,
        "SUMMIT_ENV": "test",
        "DATABASE_URL": app_settings["database_url"],
        "REDIS_URL": app_settings["redis_url"],
        "MAIL_TRANSPORT": "dev",
    }
    worker = subprocess.run(
        # --simple: one process, so a hung job dies with it when the timeout strikes
        [SUMMIT, "worker", "--burst", "--simple", "--name", "scale-import"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=300,
        check=False,
    )
    db.session.expire_all()
    done = db.session.scalars(select(ProgressImport).where(ProgressImport.id.in_(ids))).all()
    outcome = {
        (r.filename, r.requested_format): (r.status, r.rows_read, r.rows_applied, r.error)
        for r in done
    }
    for record in sorted(done, key=lambda r: r.id):
        assert record.status is ImportStatus.DONE, (outcome, worker.stderr[-2000:])
        assert record.rows_read == ROWS, outcome
    # the fixtures describe the same learners and modules: a later file that only repeats
    # what an earlier one recorded changes nothing, so only the first must apply rows
    first = min(done, key=lambda r: r.id)
    assert first.rows_applied > 0, outcome
