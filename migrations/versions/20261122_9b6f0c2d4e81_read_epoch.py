"""read cache: the commit epoch that cached dashboard figures are keyed by

Revision ID: 9b6f0c2d4e81
Revises: 7d3e5a91c2b4
Create Date: 2026-11-22 14:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9b6f0c2d4e81"
down_revision = "7d3e5a91c2b4"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "read_epoch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_read_epoch")),
    )
    op.bulk_insert(table, [{"id": 1, "n": 0}])


def downgrade():
    op.drop_table("read_epoch")
