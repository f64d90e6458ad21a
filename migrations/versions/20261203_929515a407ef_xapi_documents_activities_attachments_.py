"""xAPI LRS: documents, activities, attachments, related index; statement ids per rollout

State / Activity Profile / Agent Profile documents (xapi_document), merged activity
definitions (xapi_activity), attachment contents (xapi_attachment) and the agents and
activities each statement names (xapi_related, for related_agents / related_activities),
each scoped to a rollout. xapi_statement gets context.registration (the registration
filter, filled from the statements stored; the related index, which holds what a
statement names besides its actor and object activity, starts with new statements),
and a statement id is unique within its rollout instead of across the LRS, so one
rollout's ids never collide with, or reveal, another's.

Revision ID: 929515a407ef
Revises: 8c3f6b9d1e27
Create Date: 2026-12-03 19:03:24.987030

"""

import uuid

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "929515a407ef"
down_revision = "8c3f6b9d1e27"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "xapi_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column("iri_key", sa.String(length=64), nullable=False),
        sa.Column("iri", sa.String(length=2000), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_xapi_activity_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["rollout.id"],
            name=op.f("fk_xapi_activity_rollout_id_rollout"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_activity")),
        sa.UniqueConstraint(
            "rollout_id", "iri_key", name=op.f("uq_xapi_activity_rollout_id_iri_key")
        ),
    )
    with op.batch_alter_table("xapi_activity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xapi_activity_region_id"), ["region_id"], unique=False)

    op.create_table(
        "xapi_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column("sha2", sa.String(length=128), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_xapi_attachment_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["rollout.id"],
            name=op.f("fk_xapi_attachment_rollout_id_rollout"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_attachment")),
        sa.UniqueConstraint("rollout_id", "sha2", name=op.f("uq_xapi_attachment_rollout_id_sha2")),
    )
    with op.batch_alter_table("xapi_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_xapi_attachment_region_id"), ["region_id"], unique=False
        )

    op.create_table(
        "xapi_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("scope_key", sa.String(length=64), nullable=False),
        sa.Column("document_key", sa.String(length=64), nullable=False),
        sa.Column("activity_iri", sa.String(length=2000), nullable=True),
        sa.Column("agent_key", sa.String(length=64), nullable=True),
        sa.Column("registration", sa.String(length=36), nullable=True),
        sa.Column("document_id", sa.String(length=2000), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_xapi_document_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["rollout.id"],
            name=op.f("fk_xapi_document_rollout_id_rollout"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_document")),
        sa.UniqueConstraint(
            "rollout_id", "document_key", name=op.f("uq_xapi_document_rollout_id_document_key")
        ),
    )
    with op.batch_alter_table("xapi_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xapi_document_region_id"), ["region_id"], unique=False)
        batch_op.create_index(
            "ix_xapi_document_rollout_scope",
            ["rollout_id", "scope_key", "updated_at"],
            unique=False,
        )

    op.create_table(
        "xapi_related",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_pk", sa.Integer(), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_xapi_related_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["rollout.id"],
            name=op.f("fk_xapi_related_rollout_id_rollout"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_pk"],
            ["xapi_statement.id"],
            name=op.f("fk_xapi_related_statement_pk_xapi_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_related")),
    )
    with op.batch_alter_table("xapi_related", schema=None) as batch_op:
        batch_op.create_index(
            "ix_xapi_related_lookup", ["rollout_id", "kind", "key", "statement_pk"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_xapi_related_region_id"), ["region_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_xapi_related_statement_pk"), ["statement_pk"], unique=False
        )

    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # SQLite rebuilds the table to change its unique key: copy the rows as they are
        op.execute("PRAGMA foreign_keys = OFF")
    with op.batch_alter_table("xapi_statement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registration", sa.String(length=36), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_xapi_statement_statement_id"), type_="unique")
        batch_op.create_index(
            "ix_xapi_statement_rollout_registration", ["rollout_id", "registration"], unique=False
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_xapi_statement_rollout_id_statement_id"), ["rollout_id", "statement_id"]
        )
    if sqlite:
        op.execute("PRAGMA foreign_keys = ON")
    _backfill_registration()


BATCH = 1000


def _registration(payload):
    value = ((payload or {}).get("context") or {}).get("registration")
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


def _backfill_registration():
    statements = sa.table(
        "xapi_statement",
        sa.column("id", sa.Integer),
        sa.column("payload", sa.JSON),
        sa.column("registration", sa.String),
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
            {"b_id": row.id, "registration": value}
            for row in rows
            if (value := _registration(row.payload)) is not None
        ]
        if updates:
            bind.execute(
                statements.update()
                .where(statements.c.id == sa.bindparam("b_id"))
                .values(registration=sa.bindparam("registration")),
                updates,
            )
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table("xapi_statement", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_xapi_statement_rollout_id_statement_id"), type_="unique"
        )
        batch_op.drop_index("ix_xapi_statement_rollout_registration")
        batch_op.create_unique_constraint(
            batch_op.f("uq_xapi_statement_statement_id"), ["statement_id"]
        )
        batch_op.drop_column("registration")

    with op.batch_alter_table("xapi_related", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xapi_related_statement_pk"))
        batch_op.drop_index(batch_op.f("ix_xapi_related_region_id"))
        batch_op.drop_index("ix_xapi_related_lookup")

    op.drop_table("xapi_related")
    with op.batch_alter_table("xapi_document", schema=None) as batch_op:
        batch_op.drop_index("ix_xapi_document_rollout_scope")
        batch_op.drop_index(batch_op.f("ix_xapi_document_region_id"))

    op.drop_table("xapi_document")
    with op.batch_alter_table("xapi_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xapi_attachment_region_id"))

    op.drop_table("xapi_attachment")
    with op.batch_alter_table("xapi_activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xapi_activity_region_id"))

    op.drop_table("xapi_activity")
