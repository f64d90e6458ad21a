"""roster import: the columns a lead chose, remembered per region and header set

roster_import gets the sheet read, the lead's mapping, who is in and what the preview
found; time_allocation.manager_id may be NULL (a learner without a manager: the rollout's
local lead decides);
roster_import_issue gets a reason code (shown in the lead's language) and whether the
row was refused or only noted; roster_mapping remembers a confirmed mapping per
region and set of headers.

Revision ID: 5e19a7c2d4b1
Revises: 37ce148fe802
Create Date: 2026-12-03 19:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e19a7c2d4b1"
down_revision = "37ce148fe802"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("roster_import", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sheet", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("mapping", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("row_filter", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("headers", sa.JSON(), nullable=True))
    with op.batch_alter_table("roster_import_issue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=60), nullable=True))
        batch_op.add_column(
            sa.Column("refused", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("time_allocation", schema=None) as batch_op:
        # a learner without a manager (the top of the roster): the local lead decides
        batch_op.alter_column("manager_id", existing_type=sa.Integer(), nullable=True)
    op.create_table(
        "roster_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("header_key", sa.String(length=64), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("row_filter", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_roster_mapping_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_mapping")),
        sa.UniqueConstraint(
            "region_id", "header_key", name=op.f("uq_roster_mapping_region_id_header_key")
        ),
    )
    with op.batch_alter_table("roster_mapping", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roster_mapping_region_id"), ["region_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("roster_mapping", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_mapping_region_id"))
    op.drop_table("roster_mapping")
    op.execute("DELETE FROM time_allocation WHERE manager_id IS NULL")
    with op.batch_alter_table("time_allocation", schema=None) as batch_op:
        batch_op.alter_column("manager_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("roster_import_issue", schema=None) as batch_op:
        batch_op.drop_column("refused")
        batch_op.drop_column("code")
    with op.batch_alter_table("roster_import", schema=None) as batch_op:
        batch_op.drop_column("headers")
        batch_op.drop_column("row_filter")
        batch_op.drop_column("mapping")
        batch_op.drop_column("sheet")
