"""xapi_statement: the statements that target another, in stored order (issue 26)

A page filtered by a broad condition (a verb) also holds the statements whose
StatementRef chain reaches a matching one. When the page's direct matches already fill it,
only the targeting statements between the keyset and the last of them can be on it: they
are walked forward from there. A partial index of the statements that target another (a
few in a hundred) on (rollout, stored time, id) finds them without reading the others.

Revision ID: h26b8d1f5c3a2
Revises: h26a4c7e2b90
Create Date: 2026-12-05 19:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "h26b8d1f5c3a2"
down_revision = "h26a4c7e2b90"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_xapi_statement_rollout_ref_stored",
        "xapi_statement",
        ["rollout_id", "stored_at", "id"],
        postgresql_where=sa.text("statement_ref IS NOT NULL"),
        sqlite_where=sa.text("statement_ref IS NOT NULL"),
    )


def downgrade():
    op.drop_index("ix_xapi_statement_rollout_ref_stored", table_name="xapi_statement")
