"""progress connectors: a rollout's scheduled pull of progress from an LRS, Open edX or Moodle

progress_connector holds where and how (credentials Fernet-encrypted with
SUMMIT_SECRETS_KEY) and the cursor the next sync starts from; progress_connector_run
records each sync: when, what it read and changed, what it could not match.

Revision ID: 65dc42d9826a
Revises: 929515a407ef
Create Date: 2026-12-03 19:02:48.210142

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "65dc42d9826a"
down_revision = "929515a407ef"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "progress_connector",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("lrs", "openedx", "moodle", name="connectorkind", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("course_ref", sa.String(length=300), nullable=False),
        sa.Column("learner_field", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=300), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("cursor", sa.JSON(), nullable=False),
        sa.Column("last_run_at", sa.DateTime(), nullable=True),
        sa.Column("last_success_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failing_since", sa.DateTime(), nullable=True),
        sa.Column("failure_notified_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_progress_connector_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["rollout.id"],
            name=op.f("fk_progress_connector_rollout_id_rollout"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff_user.id"],
            name=op.f("fk_progress_connector_updated_by_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_connector")),
        sa.UniqueConstraint("rollout_id", name=op.f("uq_progress_connector_rollout_id")),
    )
    with op.batch_alter_table("progress_connector", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_progress_connector_region_id"), ["region_id"], unique=False
        )

    op.create_table(
        "progress_connector_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum("running", "ok", "failed", name="runstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("fetched", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("unknown_learners", sa.Integer(), nullable=False),
        sa.Column("unmapped_units", sa.Integer(), nullable=False),
        sa.Column("activated", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connector_id"],
            ["progress_connector.id"],
            name=op.f("fk_progress_connector_run_connector_id_progress_connector"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_progress_connector_run_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_connector_run")),
    )
    with op.batch_alter_table("progress_connector_run", schema=None) as batch_op:
        batch_op.create_index(
            "ix_progress_connector_run_connector", ["connector_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_progress_connector_run_region_id"), ["region_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("progress_connector_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_connector_run_region_id"))
        batch_op.drop_index("ix_progress_connector_run_connector")

    op.drop_table("progress_connector_run")
    with op.batch_alter_table("progress_connector", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_connector_region_id"))

    op.drop_table("progress_connector")
