"""progress: column mappings a region's lead confirmed, per header set

Revision ID: 8c3f6b9d1e27
Revises: 5d1e0f7a2c4b
Create Date: 2026-12-03 19:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8c3f6b9d1e27"
down_revision = "5d1e0f7a2c4b"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "column_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("header_key", sa.String(length=64), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_column_mapping_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["staff_user.id"],
            name=op.f("fk_column_mapping_updated_by_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_column_mapping")),
        sa.UniqueConstraint(
            "region_id", "header_key", name=op.f("uq_column_mapping_region_id_header_key")
        ),
    )
    with op.batch_alter_table("column_mapping", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_column_mapping_region_id"), ["region_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("column_mapping", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_column_mapping_region_id"))
    op.drop_table("column_mapping")
