"""term_review: what a free-rider confirmation's undo needs (issue 24)

The state the learner was removed from, until when the confirmation may be withdrawn,
and the outbox rows held until then (cancelled on withdraw).

Revision ID: b7d41e9a2c60
Revises: b7d2c91e4a60
Create Date: 2026-12-04 04:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7d41e9a2c60"
down_revision = "b7d2c91e4a60"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("term_review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_from_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("undo_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("held_email_ids", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("term_review", schema=None) as batch_op:
        batch_op.drop_column("held_email_ids")
        batch_op.drop_column("undo_until")
        batch_op.drop_column("removed_from_state")
