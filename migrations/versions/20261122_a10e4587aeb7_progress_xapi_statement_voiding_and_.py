"""xapi_statement: voiding and the columns GET /xapi/statements filters and pages on

Revision ID: a10e4587aeb7
Revises: aa0b2101d8b9
Create Date: 2026-11-22 16:33:54.563034

Adds ``voided_by`` / ``voided_at`` (a voided statement is hidden from reads), ``actor_key``
(sha256 of the actor's inverse functional identifier, for the ``agent`` filter) and
``activity_iri`` (the ``activity`` filter), plus the keyset index (rollout, stored, id).
Statements already stored get ``actor_key`` and ``activity_iri`` from their payload, with
the same rule as ``app.xapi.index.ifi_key`` (copied: a migration never imports the app).
"""

import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a10e4587aeb7"
down_revision = "aa0b2101d8b9"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    with op.batch_alter_table("xapi_statement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("activity_iri", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("voided_by", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("voided_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            "ix_xapi_statement_rollout_actor", ["rollout_id", "actor_key"], unique=False
        )
        batch_op.create_index(
            "ix_xapi_statement_rollout_stored", ["rollout_id", "stored_at", "id"], unique=False
        )
    _backfill()


def _ifi_key(agent):
    if not isinstance(agent, dict):
        return None
    if agent.get("mbox"):
        ifi = "mbox:" + str(agent["mbox"]).strip().lower()
    elif agent.get("mbox_sha1sum"):
        ifi = "mbox_sha1sum:" + str(agent["mbox_sha1sum"]).strip().lower()
    elif agent.get("openid"):
        ifi = "openid:" + str(agent["openid"])
    elif isinstance(agent.get("account"), dict):
        account = agent["account"]
        ifi = f"account:{account.get('homePage')}|{account.get('name')}"
    else:
        return None
    return hashlib.sha256(ifi.encode()).hexdigest()


def _backfill():
    statements = sa.table(
        "xapi_statement",
        sa.column("id", sa.Integer),
        sa.column("payload", sa.JSON),
        sa.column("actor_key", sa.String),
        sa.column("activity_iri", sa.String),
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
        updates = []
        for row in rows:
            payload = row.payload or {}
            obj = payload.get("object") or {}
            activity = obj.get("id") if obj.get("objectType", "Activity") == "Activity" else None
            updates.append(
                {
                    "b_id": row.id,
                    "actor_key": _ifi_key(payload.get("actor")),
                    "activity_iri": activity,
                }
            )
        bind.execute(
            statements.update()
            .where(statements.c.id == sa.bindparam("b_id"))
            .values(actor_key=sa.bindparam("actor_key"), activity_iri=sa.bindparam("activity_iri")),
            updates,
        )
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table("xapi_statement", schema=None) as batch_op:
        batch_op.drop_index("ix_xapi_statement_rollout_stored")
        batch_op.drop_index("ix_xapi_statement_rollout_actor")
        batch_op.drop_column("voided_at")
        batch_op.drop_column("voided_by")
        batch_op.drop_column("activity_iri")
        batch_op.drop_column("actor_key")
