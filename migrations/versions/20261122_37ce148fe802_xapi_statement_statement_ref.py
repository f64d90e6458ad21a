"""xapi_statement.statement_ref: the statement a statement's StatementRef object names

A statement sent after the statement that voids it (a client replaying its queue out of
order) is stored voided as it arrives, the LRS finding the waiting void by this column;
and GET filters match a statement that targets a matching one (xAPI 1.0.3,
Communication §2.1.3). Statements already stored get it from their payload's StatementRef
(an erased payload, ``{}``, gives none).

Revision ID: 37ce148fe802
Revises: ea54f0b41c91
Create Date: 2026-11-22 18:22:26.189076

"""

import uuid

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "37ce148fe802"
down_revision = "ea54f0b41c91"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    with op.batch_alter_table("xapi_statement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("statement_ref", sa.String(length=36), nullable=True))
        batch_op.create_index(
            "ix_xapi_statement_rollout_ref", ["rollout_id", "statement_ref"], unique=False
        )
    _backfill()


def _target(payload):
    obj = (payload or {}).get("object") or {}
    if obj.get("objectType") != "StatementRef":
        return None
    try:
        return str(uuid.UUID(str(obj.get("id"))))
    except ValueError:
        return None


def _backfill():
    statements = sa.table(
        "xapi_statement",
        sa.column("id", sa.Integer),
        sa.column("verb", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("statement_ref", sa.String),
    )
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(statements.c.id, statements.c.payload)
            .where(statements.c.id > last)
            .order_by(statements.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        updates = [
            {"b_id": row.id, "statement_ref": target}
            for row in rows
            if (target := _target(row.payload)) is not None
        ]
        if updates:
            bind.execute(
                statements.update()
                .where(statements.c.id == sa.bindparam("b_id"))
                .values(statement_ref=sa.bindparam("statement_ref")),
                updates,
            )
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table("xapi_statement", schema=None) as batch_op:
        batch_op.drop_index("ix_xapi_statement_rollout_ref")
        batch_op.drop_column("statement_ref")
