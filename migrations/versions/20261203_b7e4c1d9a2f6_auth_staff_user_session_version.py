"""auth: staff_user.session_version, which ends every session of a staff member; entra_tid

Signing out, or losing a role, raises the version; a session whose version differs is
over on its next request. ``entra_tid`` is the tenant of the linked Entra ID account: an
account is its oid in its tenant (issue 18).

Revision ID: b7e4c1d9a2f6
Revises: 5d1c2e7a9b40
Create Date: 2026-12-03 19:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e4c1d9a2f6"
down_revision = "5d1c2e7a9b40"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("entra_tid", sa.String(length=36), nullable=True))


def downgrade():
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_column("entra_tid")
        batch_op.drop_column("session_version")
