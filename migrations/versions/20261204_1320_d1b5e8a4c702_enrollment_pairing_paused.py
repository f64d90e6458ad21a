"""enrollment.pairing_paused: the lead took a learner out of buddy pairing (issue 24)

Revision ID: d1b5e8a4c702
Revises: c4e1a7d93b15
Create Date: 2026-12-04 13:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d1b5e8a4c702"
down_revision = "c4e1a7d93b15"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pairing_paused", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_column("pairing_paused")
