"""read_epoch_region: the read cache's epoch per region (issue 26)

One counter per region a commit wrote in, and row ``0`` for "every region" (a write whose
region is not known). No foreign key to ``region``: a counter must never go back to 0.

Revision ID: c26e0a1b7d31
Revises: b7d41e9a2c60
Create Date: 2026-12-04 12:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c26e0a1b7d31"
down_revision = "b7d41e9a2c60"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "read_epoch_region",
        sa.Column("region_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("region_id", name=op.f("pk_read_epoch_region")),
    )
    table = sa.table("read_epoch_region", sa.column("region_id"), sa.column("n"))
    op.bulk_insert(table, [{"region_id": 0, "n": 0}])


def downgrade():
    op.drop_table("read_epoch_region")
