"""Autovacuum on the hot tables (issue 26, PostgreSQL only; nothing on SQLite)

At a million learners the default thresholds (vacuum at 20 % of a table dead, analyze at
10 % changed) let ``module_progress`` (5M rows) carry a million dead rows before a vacuum
and run on statistics a hundred thousand rows old. The tables every import, term close,
xAPI batch and mail run write vacuum and analyze at a fixed, small share instead; insert-
mostly tables (``xapi_statement``, ``journey_event``) also vacuum after inserts (their
visibility map keeps index-only scans cheap). The outbox and the read cache's counters
are updated in place all day: they keep free room in each page (``fillfactor``) so an
update stays on its page (a HOT update, no index entry to write).

Revision ID: c26f3d8e5a42
Revises: c26e0a1b7d31
Create Date: 2026-12-04 12:10:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "c26f3d8e5a42"
down_revision = "c26e0a1b7d31"
branch_labels = None
depends_on = None

_CHURN = {
    "autovacuum_vacuum_scale_factor": "0.02",
    "autovacuum_analyze_scale_factor": "0.01",
}
_INSERTS = {**_CHURN, "autovacuum_vacuum_insert_scale_factor": "0.02"}
#: table -> storage parameters
HOT_TABLES = {
    "module_progress": _INSERTS,
    "enrollment": _CHURN,
    "person": _CHURN,
    "time_allocation": _CHURN,
    "term_review": _CHURN,
    "call_attendance": _INSERTS,
    "journey_send": _INSERTS,
    "journey_event": _INSERTS,
    "xapi_statement": _INSERTS,
    "outbound_email": {
        "autovacuum_vacuum_scale_factor": "0.01",
        "autovacuum_analyze_scale_factor": "0.02",
        "fillfactor": "80",
    },
    "read_epoch": {"fillfactor": "50", "autovacuum_vacuum_threshold": "1000"},
    "read_epoch_region": {"fillfactor": "50", "autovacuum_vacuum_threshold": "1000"},
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, params in HOT_TABLES.items():
        settings = ", ".join(f"{k} = {v}" for k, v in params.items())
        op.execute(f"ALTER TABLE {table} SET ({settings})")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, params in HOT_TABLES.items():
        op.execute(f"ALTER TABLE {table} RESET ({', '.join(params)})")
