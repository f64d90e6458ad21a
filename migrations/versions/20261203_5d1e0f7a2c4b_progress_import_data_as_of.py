"""progress: the time an import's data describes (for data freshness)

Revision ID: 5d1e0f7a2c4b
Revises: 5e19a7c2d4b1
Create Date: 2026-12-03 19:15:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5d1e0f7a2c4b"
down_revision = "5e19a7c2d4b1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("progress_import", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data_as_of", sa.DateTime(), nullable=True))
    # imports made before: their data is as old as the import
    op.execute("UPDATE progress_import SET data_as_of = finished_at WHERE status = 'done'")


def downgrade():
    with op.batch_alter_table("progress_import", schema=None) as batch_op:
        batch_op.drop_column("data_as_of")
