"""journey: weekly email sends (unique per enrollment and ISO week), their measured events,
learners' pauses and each rollout's note of the week (issue 25, item 3)

Revision ID: b7d41e0c9a52
Revises: c3a8e2f71d05
Create Date: 2026-12-04 04:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7d41e0c9a52"
down_revision = "c3a8e2f71d05"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "journey_send",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("measures_opens", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.id"],
            name=op.f("fk_journey_send_enrollment_id_enrollment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_send")),
        sa.UniqueConstraint("enrollment_id", "week", name="uq_journey_send_enrollment_week"),
    )
    op.create_index("ix_journey_send_region_week", "journey_send", ["region_id", "week"])
    op.create_table(
        "journey_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("send_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["send_id"],
            ["journey_send.id"],
            name=op.f("fk_journey_event_send_id_journey_send"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_event")),
    )
    op.create_index(op.f("ix_journey_event_region_id"), "journey_event", ["region_id"])
    op.create_index("ix_journey_event_send_kind", "journey_event", ["send_id", "kind"])
    op.create_table(
        "journey_pause",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("paused_at", sa.DateTime(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.id"],
            name=op.f("fk_journey_pause_enrollment_id_enrollment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_journey_pause_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_pause")),
        sa.UniqueConstraint("enrollment_id", name=op.f("uq_journey_pause_enrollment_id")),
    )
    op.create_index(op.f("ix_journey_pause_region_id"), "journey_pause", ["region_id"])
    op.create_table(
        "journey_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_journey_note_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["rollout.id"],
            name=op.f("fk_journey_note_rollout_id_rollout"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff_user.id"],
            name=op.f("fk_journey_note_updated_by_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_note")),
        sa.UniqueConstraint("rollout_id", name=op.f("uq_journey_note_rollout_id")),
    )
    op.create_index(op.f("ix_journey_note_region_id"), "journey_note", ["region_id"])


def downgrade():
    op.drop_table("journey_note")
    op.drop_table("journey_pause")
    op.drop_table("journey_event")
    op.drop_table("journey_send")
