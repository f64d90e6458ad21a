"""backbone: outbox lease owner, scheduled runs

Revision ID: 1c1b8d8fd42d
Revises: 680b01f8975f
Create Date: 2026-11-22 11:02:14.827847

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "1c1b8d8fd42d"
down_revision = "680b01f8975f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scheduled_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("slot", sa.String(length=32), nullable=False),
        sa.Column("job_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_run")),
        sa.UniqueConstraint("name", "scope", "slot", name=op.f("uq_scheduled_run_name_scope_slot")),
    )
    with op.batch_alter_table("scheduled_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduled_run_created_at"), ["created_at"], unique=False
        )

    with op.batch_alter_table("outbound_email", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("outbound_email", schema=None) as batch_op:
        batch_op.drop_column("locale")
        batch_op.drop_column("lease_owner")

    with op.batch_alter_table("scheduled_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_run_created_at"))

    op.drop_table("scheduled_run")
