"""calls: invitations, sent markers

Revision ID: f658b865e22f
Revises: 63967f300e53
Create Date: 2026-11-22 11:00:43.622300

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f658b865e22f"
down_revision = "63967f300e53"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "call_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("invited_at", sa.DateTime(), nullable=False),
        sa.Column("notified_at", sa.DateTime(), nullable=True),
        sa.Column("left_at", sa.DateTime(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_call_invitation_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_call_invitation_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["rollout.id"],
            name=op.f("fk_call_invitation_rollout_id_rollout"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_user.id"],
            name=op.f("fk_call_invitation_staff_user_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_invitation")),
        sa.UniqueConstraint(
            "rollout_id", "email", name=op.f("uq_call_invitation_rollout_id_email")
        ),
    )
    with op.batch_alter_table("call_invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_call_invitation_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_call_invitation_region_id"), ["region_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_call_invitation_rollout_id"), ["rollout_id"], unique=False
        )

    with op.batch_alter_table("call_attendance", schema=None) as batch_op:
        # existing rows get the migration's time; new rows get the app's utcnow()
        batch_op.add_column(
            sa.Column(
                "recorded_at",
                sa.DateTime(),
                nullable=False,
                server_default=sa.text("CURRENT_TIMESTAMP"),
            )
        )

    with op.batch_alter_table("call_question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("call_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prompts_sent_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("agenda_sent_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("notes_sent_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("changed_by_hand", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("call_session", schema=None) as batch_op:
        batch_op.drop_column("changed_by_hand")
        batch_op.drop_column("notes_sent_at")
        batch_op.drop_column("agenda_sent_at")
        batch_op.drop_column("prompts_sent_at")

    with op.batch_alter_table("call_question", schema=None) as batch_op:
        batch_op.drop_column("answered_at")

    with op.batch_alter_table("call_attendance", schema=None) as batch_op:
        batch_op.drop_column("recorded_at")

    with op.batch_alter_table("call_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_invitation_rollout_id"))
        batch_op.drop_index(batch_op.f("ix_call_invitation_region_id"))
        batch_op.drop_index(batch_op.f("ix_call_invitation_person_id"))

    op.drop_table("call_invitation")
