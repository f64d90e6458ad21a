"""scheduled_run: enqueued_at, done_at and the job's arguments (the database is the
source of truth for recurring work: an unfinished run is enqueued again)

Existing rows are marked done (they were enqueued under the old scheme, which kept
no outcome): nothing old is run again.

Revision ID: 5d1c2e7a9b40
Revises: 65dc42d9826a
Create Date: 2026-12-03 19:25:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5d1c2e7a9b40"
down_revision = "65dc42d9826a"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("scheduled_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("args", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("enqueued_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("done_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE scheduled_run SET enqueued_at = created_at, done_at = created_at")


def downgrade():
    with op.batch_alter_table("scheduled_run", schema=None) as batch_op:
        batch_op.drop_column("done_at")
        batch_op.drop_column("enqueued_at")
        batch_op.drop_column("args")
