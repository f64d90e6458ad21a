"""calls: invitation series_sent_at (who holds the series as one recurring event)

Existing rows keep NULL: an invitee already notified (``notified_at`` set) holds the
one-event-per-session invitations sent before; the next call message to them first
cancels those per-session UIDs once, then carries the series.

Revision ID: ea54f0b41c91
Revises: a10e4587aeb7
Create Date: 2026-11-22 16:33:48.620052

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ea54f0b41c91"
down_revision = "a10e4587aeb7"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("call_invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("series_sent_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("call_invitation", schema=None) as batch_op:
        batch_op.drop_column("series_sent_at")
