"""reports: snapshots as sent, global opt-outs, goal survey answer

Revision ID: a9c1e5d3b7f2
Revises: 56dbaf9e6560
Create Date: 2026-11-22 11:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a9c1e5d3b7f2"
down_revision = "56dbaf9e6560"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("csv", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("chart_png", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column("recipients", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index(
            "uq_report_global_week",
            ["week"],
            unique=True,
            sqlite_where=sa.text("region_id IS NULL"),
            postgresql_where=sa.text("region_id IS NULL"),
        )
    op.create_table(
        "global_report_opt_out",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_user.id"],
            name=op.f("fk_global_report_opt_out_staff_user_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_global_report_opt_out")),
        sa.UniqueConstraint("staff_user_id", name=op.f("uq_global_report_opt_out_staff_user_id")),
    )


def downgrade():
    op.drop_table("global_report_opt_out")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index("uq_report_global_week")
        batch_op.drop_column("recipients")
        batch_op.drop_column("chart_png")
        batch_op.drop_column("csv")
        batch_op.drop_column("text")
