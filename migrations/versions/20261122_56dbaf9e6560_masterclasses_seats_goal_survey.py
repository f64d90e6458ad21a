"""masterclasses: seat counter, reminders, attendance; the goal survey on enrollment

Revision ID: 56dbaf9e6560
Revises: f658b865e22f
Create Date: 2026-11-22 11:00:09.183964

"""

import sqlalchemy as sa
from alembic import op

revision = "56dbaf9e6560"
down_revision = "f658b865e22f"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("goal_reached", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("goal_comment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("goal_answered_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("goal_survey_sent_at", sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(
            "goal_reached", "goal_reached IS NULL OR goal_reached IN ('reached', 'partly', 'not')"
        )

    with op.batch_alter_table("master_class", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("seats_taken", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("sequence", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint("seats_within_capacity", "seats_taken <= capacity")

    with op.batch_alter_table("master_class_invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promoted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("reminder_sent_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("attendance_recorded_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("calendar_sequence", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            "ix_master_class_invitation_class_status", ["master_class_id", "status"], unique=False
        )


def downgrade():
    with op.batch_alter_table("master_class_invitation", schema=None) as batch_op:
        batch_op.drop_index("ix_master_class_invitation_class_status")
        batch_op.drop_column("calendar_sequence")
        batch_op.drop_column("attendance_recorded_at")
        batch_op.drop_column("reminder_sent_at")
        batch_op.drop_column("promoted_at")

    with op.batch_alter_table("master_class", schema=None) as batch_op:
        batch_op.drop_constraint("seats_within_capacity", type_="check")
        batch_op.drop_column("sequence")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("seats_taken")

    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_constraint("goal_reached", type_="check")
        batch_op.drop_column("goal_survey_sent_at")
        batch_op.drop_column("goal_answered_at")
        batch_op.drop_column("goal_comment")
        batch_op.drop_column("goal_reached")
