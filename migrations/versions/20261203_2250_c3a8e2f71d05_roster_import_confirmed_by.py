"""roster_import.confirmed_by_id: who confirmed the apply (the audit actor of a job run again)

A roster apply whose job was lost (a worker killed, Redis restarted empty) is enqueued
again by the scheduler's recovery without an actor; the import row keeps who confirmed it
(issue 21).

Revision ID: c3a8e2f71d05
Revises: e3a91c5d7b24
Create Date: 2026-12-03 22:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c3a8e2f71d05"
down_revision = "e3a91c5d7b24"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("roster_import", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_roster_import_confirmed_by_id_staff_user"),
            "staff_user",
            ["confirmed_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("roster_import", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_roster_import_confirmed_by_id_staff_user"), type_="foreignkey"
        )
        batch_op.drop_column("confirmed_by_id")
