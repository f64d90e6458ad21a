"""Data migrations fill what they add from the rows already there."""

import json
import uuid
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def test_statement_ref_is_filled_from_stored_statement_refs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'backfill.db'}"
    app = create_app({"env": "test", "database_url": url, "redis_url": "redis://127.0.0.1:6379/15"})
    target = str(uuid.uuid4()).upper()  # a client may send upper case: stored as the LRS reads it
    other = str(uuid.uuid4())
    rows = [
        (VOIDED, {"object": {"objectType": "StatementRef", "id": target}}),
        (VOIDED, {}),  # erased with its learner: names nothing any more
        ("http://adlnet.gov/expapi/verbs/completed", {"object": {"id": "https://x.example/a"}}),
        # any verb may target a statement (a comment on it), not only a void
        (
            "http://adlnet.gov/expapi/verbs/commented",
            {"object": {"objectType": "StatementRef", "id": other}},
        ),
        (
            "http://adlnet.gov/expapi/verbs/commented",
            {"object": {"objectType": "StatementRef", "id": "x"}},
        ),
    ]
    with app.app_context():
        upgrade(revision="ea54f0b41c91")
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            # the statements alone: their rollout and region are not what is tested
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            for n, (verb, payload) in enumerate(rows):
                conn.execute(
                    sa.text(
                        "INSERT INTO xapi_statement (region_id, statement_id, rollout_id,"
                        " content_hash, verb, payload, stored_at)"
                        " VALUES (1, :sid, 1, 'h', :verb, :payload, '2026-11-22 10:00:00')"
                    ),
                    {
                        "sid": f"00000000-0000-0000-0000-00000000000{n}",
                        "verb": verb,
                        "payload": json.dumps(payload),
                    },
                )
            conn.commit()
        upgrade()
        with engine.connect() as conn:
            refs = (
                conn.execute(
                    sa.text("SELECT statement_ref FROM xapi_statement ORDER BY statement_id")
                )
                .scalars()
                .all()
            )
        engine.dispose()
    assert refs == [target.lower(), None, None, other, None]
