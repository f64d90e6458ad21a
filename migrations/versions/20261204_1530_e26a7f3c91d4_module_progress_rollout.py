"""module_progress.rollout_id: "progress as of" from an index (issue 26)

The decision pages' "progress as of" (``app.progress.queries.progress_freshness``) falls back
to the newest progress row of a rollout. Reached through ``enrollment``, that sorted every
progress row of the rollout's region (50,000 at a million learners, 50–150 ms a page).
The rollout is copied onto each row from its enrollment, as the region is (an enrollment
never changes rollout), and ``(rollout_id, observed_at, id)`` answers the newest row of a
rollout with one index probe.

Revision ID: e26a7f3c91d4
Revises: d1b5e8a4c702
Create Date: 2026-12-04 15:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e26a7f3c91d4"
down_revision = "d1b5e8a4c702"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("module_progress", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rollout_id", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE module_progress mp SET rollout_id = e.rollout_id "
            "FROM enrollment e WHERE e.id = mp.enrollment_id"
        )
    else:
        op.execute(
            "UPDATE module_progress SET rollout_id = (SELECT e.rollout_id FROM enrollment e "
            "WHERE e.id = module_progress.enrollment_id)"
        )
    with op.batch_alter_table("module_progress", schema=None) as batch_op:
        batch_op.alter_column("rollout_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(
            "ix_module_progress_rollout_observed", ["rollout_id", "observed_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("module_progress", schema=None) as batch_op:
        batch_op.drop_index("ix_module_progress_rollout_observed")
        batch_op.drop_column("rollout_id")
