"""call_attendance: the seconds a report gave, so a visit under the region's minimum is
recorded as not present with its reason (issue 24)

Revision ID: c4e1a7d93b15
Revises: c26f3d8e5a42
Create Date: 2026-12-04 12:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4e1a7d93b15"
down_revision = "c26f3d8e5a42"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("call_attendance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seconds", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("call_attendance", schema=None) as batch_op:
        batch_op.drop_column("seconds")
