"""outbound_email: the claim's index also orders by id (issue 26, email delivery)

A delivery job claims the first due rows by (next_attempt_at, id). With an index on
(status, next_attempt_at) only, PostgreSQL read and sorted every pending row for each
claim of 200 (64 ms at 20,000 pending, linear in the backlog: seconds a claim at a
million); on (status, next_attempt_at, id) it walks the index and stops after the batch.

Revision ID: e26a4c1b9d37
Revises: e26a7f3c91d4
Create Date: 2026-12-04 16:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "e26a4c1b9d37"
down_revision = "e26a7f3c91d4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_outbound_email_status_next_id",
        "outbound_email",
        ["status", "next_attempt_at", "id"],
        unique=False,
    )
    op.drop_index("ix_outbound_email_status_next", table_name="outbound_email")


def downgrade():
    op.create_index(
        "ix_outbound_email_status_next",
        "outbound_email",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.drop_index("ix_outbound_email_status_next_id", table_name="outbound_email")
