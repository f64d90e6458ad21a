"""directory_import_manager: the directory import stages its manager links (issue 26)

The import kept every ``employee_id -> manager`` pair of the directory in a dict until the
last page, then looked the people up in chunks and loaded each changed person for the
``manager_changed`` signal (a query per person in its receiver). The pairs now go to this
table page by page; the managers are resolved in one statement once the people are in.

Revision ID: f26c3e9a1b47
Revises: f26b0c7e1d58
Create Date: 2026-12-04 19:50:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f26c3e9a1b47"
down_revision = "f26b0c7e1d58"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "directory_import_manager",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.String(length=64), nullable=False),
        sa.Column("manager_key", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("old_manager_id", sa.Integer(), nullable=True),
        sa.Column("new_manager_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["directory_import.id"],
            name=op.f("fk_directory_import_manager_run_id_directory_import"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "employee_id", name=op.f("pk_directory_import_manager")),
    )


def downgrade():
    op.drop_table("directory_import_manager")
