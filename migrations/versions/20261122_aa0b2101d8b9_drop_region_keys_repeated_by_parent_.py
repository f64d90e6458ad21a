"""drop region keys repeated by parent rows; partial buddy group index

The region of an enrollment is its rollout's, and a term review's its enrollment's: their
own keys guard it, as module_progress's already did. Each key left meant one trigger call
per row of a roster import (300,000) or a term close (300,000). ``buddy_group`` is NULL for
every learner until pairing, so its index covers the paired ones only.

Revision ID: aa0b2101d8b9
Revises: 9b6f0c2d4e81
Create Date: 2026-11-22 13:44:34.909772

"""

import sqlalchemy as sa
from alembic import op

revision = "aa0b2101d8b9"
down_revision = "9b6f0c2d4e81"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_constraint("fk_enrollment_region_id_region", type_="foreignkey")
        batch_op.drop_index("ix_enrollment_buddy_group")
        batch_op.create_index(
            "ix_enrollment_buddy_group",
            ["buddy_group"],
            postgresql_where=sa.text("buddy_group IS NOT NULL"),
            sqlite_where=sa.text("buddy_group IS NOT NULL"),
        )

    with op.batch_alter_table("term_review", schema=None) as batch_op:
        batch_op.drop_constraint("fk_term_review_region_id_region", type_="foreignkey")


def downgrade():
    with op.batch_alter_table("term_review", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_term_review_region_id_region", "region", ["region_id"], ["id"], ondelete="RESTRICT"
        )

    with op.batch_alter_table("enrollment", schema=None) as batch_op:
        batch_op.drop_index("ix_enrollment_buddy_group")
        batch_op.create_index("ix_enrollment_buddy_group", ["buddy_group"])
        batch_op.create_foreign_key(
            "fk_enrollment_region_id_region", "region", ["region_id"], ["id"], ondelete="RESTRICT"
        )
