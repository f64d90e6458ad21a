"""time_allocation_pending_decider: an index for the request run's pages (issue 26)

The daily request run reads a region's deciders (the delegate, else the manager) of
pending reports in keyset pages ordered by ``coalesce(delegate_id, manager_id)``; no index
served that expression, so each of the 40 pages of a million-learner region scanned every
allocation of the region (a request run 4.7× the raw tool at a million learners against
1.7× at 300,000). A partial expression index on the pending ones; PostgreSQL only (a
SQLite database is small, and SQLAlchemy cannot read an expression index back from it).

Revision ID: g26e7b1d4a29
Revises: g26d5a8c3f71
Create Date: 2026-12-04 22:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "g26e7b1d4a29"
down_revision = "g26d5a8c3f71"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index(
        "ix_time_allocation_pending_decider",
        "time_allocation",
        ["region_id", sa.text("coalesce(delegate_id, manager_id)")],
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_time_allocation_pending_decider", table_name="time_allocation")
