"""auth: staff_user.locale, the language a staff member chose for the staff pages

Empty means: the browser's Accept-Language, then the region's locale (issue 23).

Revision ID: e3a91c5d7b24
Revises: 4e9ac3a41fc6
Create Date: 2026-12-03 22:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e3a91c5d7b24"
down_revision = "4e9ac3a41fc6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_column("locale")
