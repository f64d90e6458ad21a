"""rollouts: roster imports, commit reminders, roster buddy

Revision ID: b570032eb31e
Revises: a9c1e5d3b7f2
Create Date: 2026-11-22 11:02:53.293257

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b570032eb31e"
down_revision = "a9c1e5d3b7f2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "roster_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "previewing",
                "previewed",
                "applying",
                "applied",
                "refused",
                "stale",
                "failed",
                name="importstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("preview_counts", sa.JSON(), nullable=True),
        sa.Column("applied_counts", sa.JSON(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_roster_import_created_by_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_roster_import_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["rollout.id"],
            name=op.f("fk_roster_import_rollout_id_rollout"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_import")),
    )
    with op.batch_alter_table("roster_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_import_region_id"), ["region_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_roster_import_rollout_id"), ["rollout_id"], unique=False
        )

    op.create_table(
        "roster_import_issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["roster_import.id"],
            name=op.f("fk_roster_import_issue_import_id_roster_import"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_roster_import_issue_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_import_issue")),
    )
    with op.batch_alter_table("roster_import_issue", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roster_import_issue_import_id"), ["import_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_roster_import_issue_region_id"), ["region_id"], unique=False
        )

    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("roster_buddy", sa.String(length=320), nullable=True))
        batch_op.add_column(
            sa.Column("commit_reminders_sent", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("last_reminded_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_column("last_reminded_at")
        batch_op.drop_column("commit_reminders_sent")
        batch_op.drop_column("roster_buddy")

    with op.batch_alter_table("roster_import_issue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_import_issue_region_id"))
        batch_op.drop_index(batch_op.f("ix_roster_import_issue_import_id"))

    op.drop_table("roster_import_issue")
    with op.batch_alter_table("roster_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_import_rollout_id"))
        batch_op.drop_index(batch_op.f("ix_roster_import_region_id"))

    op.drop_table("roster_import")
