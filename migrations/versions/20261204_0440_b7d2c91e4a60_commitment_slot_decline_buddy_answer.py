"""learner commitment and buddy answer (issue 25): the learner's study slot, "I can't take
part", and the buddy's answer on a partner's term (confirm / not yet / can't judge, a note)

Revision ID: b7d2c91e4a60
Revises: b7d41e0c9a52
Create Date: 2026-12-04 04:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7d2c91e4a60"
down_revision = "b7d41e0c9a52"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("study_weekday", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("study_time", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("study_time_zone", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("declined_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("term_review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("buddy_answer", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("buddy_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("buddy_answered_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("term_review", schema=None) as batch_op:
        batch_op.drop_column("buddy_answered_at")
        batch_op.drop_column("buddy_note")
        batch_op.drop_column("buddy_answer")
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_column("declined_at")
        batch_op.drop_column("study_time_zone")
        batch_op.drop_column("study_time")
        batch_op.drop_column("study_weekday")
