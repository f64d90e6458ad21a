"""progress: imports, xapi, unit mappings, term close

Revision ID: 312efadb16b5
Revises: 1c1b8d8fd42d
Create Date: 2026-11-22 11:05:22.103690

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "312efadb16b5"
down_revision = "1c1b8d8fd42d"
branch_labels = None
depends_on = None


def upgrade():
    # module_progress.region_id is copied from the enrollment (which keeps the region key):
    # one foreign-key check less per imported row
    with op.batch_alter_table("module_progress", schema=None) as batch_op:
        batch_op.drop_constraint("fk_module_progress_region_id_region", type_="foreignkey")
    op.create_table(
        "progress_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("requested_format", sa.String(length=24), nullable=False),
        sa.Column("detected_format", sa.String(length=24), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "done",
                "failed",
                name="importstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("bytes_total", sa.BigInteger(), nullable=False),
        sa.Column("bytes_read", sa.BigInteger(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_applied", sa.Integer(), nullable=False),
        sa.Column("unknown_learners", sa.Integer(), nullable=False),
        sa.Column("unmapped_units", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_progress_import_created_by_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_progress_import_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["rollout.id"],
            name=op.f("fk_progress_import_rollout_id_rollout"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_import")),
    )
    with op.batch_alter_table("progress_import", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_progress_import_region_id"), ["region_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_progress_import_rollout_id"), ["rollout_id"], unique=False
        )

    op.create_table(
        "term_close",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("first_closed_at", sa.DateTime(), nullable=False),
        sa.Column("last_closed_at", sa.DateTime(), nullable=False),
        sa.Column("on_track", sa.Integer(), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("sponsors_told_at", sa.DateTime(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_term_close_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["rollout.id"],
            name=op.f("fk_term_close_rollout_id_rollout"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["term_id"], ["term.id"], name=op.f("fk_term_close_term_id_term"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_close")),
        sa.UniqueConstraint("rollout_id", "term_id", name=op.f("uq_term_close_rollout_id_term_id")),
    )
    with op.batch_alter_table("term_close", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_term_close_region_id"), ["region_id"], unique=False)

    op.create_table(
        "unit_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("unit_name", sa.String(length=300), nullable=False),
        sa.Column("unit_key", sa.String(length=300), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["module.id"],
            name=op.f("fk_unit_mapping_module_id_module"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["program.id"],
            name=op.f("fk_unit_mapping_program_id_program"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_mapping")),
        sa.UniqueConstraint(
            "program_id", "unit_key", name=op.f("uq_unit_mapping_program_id_unit_key")
        ),
    )
    op.create_table(
        "xapi_credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("rotated_at", sa.DateTime(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_xapi_credential_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["rollout.id"],
            name=op.f("fk_xapi_credential_rollout_id_rollout"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_credential")),
        sa.UniqueConstraint("key", name=op.f("uq_xapi_credential_key")),
        sa.UniqueConstraint("rollout_id", name=op.f("uq_xapi_credential_rollout_id")),
    )
    with op.batch_alter_table("xapi_credential", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_xapi_credential_region_id"), ["region_id"], unique=False
        )

    op.create_table(
        "xapi_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("verb", sa.String(length=200), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=True),
        sa.Column("module_id", sa.Integer(), nullable=True),
        sa.Column("ignored_reason", sa.String(length=80), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollment.id"],
            name=op.f("fk_xapi_statement_enrollment_id_enrollment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["module.id"],
            name=op.f("fk_xapi_statement_module_id_module"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["region.id"],
            name=op.f("fk_xapi_statement_region_id_region"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rollout_id"],
            ["rollout.id"],
            name=op.f("fk_xapi_statement_rollout_id_rollout"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_statement")),
        sa.UniqueConstraint("statement_id", name=op.f("uq_xapi_statement_statement_id")),
    )
    with op.batch_alter_table("xapi_statement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_xapi_statement_enrollment_id"), ["enrollment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_xapi_statement_region_id"), ["region_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_xapi_statement_rollout_id"), ["rollout_id"], unique=False
        )

    with op.batch_alter_table("term_review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("buddy_requested_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("at_risk_reason", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("verdict_changed_at", sa.DateTime(), nullable=True))

    # ### end Alembic commands ###


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("term_review", schema=None) as batch_op:
        batch_op.drop_column("verdict_changed_at")
        batch_op.drop_column("at_risk_reason")
        batch_op.drop_column("buddy_requested_at")

    with op.batch_alter_table("xapi_statement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xapi_statement_rollout_id"))
        batch_op.drop_index(batch_op.f("ix_xapi_statement_region_id"))
        batch_op.drop_index(batch_op.f("ix_xapi_statement_enrollment_id"))

    op.drop_table("xapi_statement")
    with op.batch_alter_table("xapi_credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xapi_credential_region_id"))

    op.drop_table("xapi_credential")
    op.drop_table("unit_mapping")
    with op.batch_alter_table("term_close", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_term_close_region_id"))

    op.drop_table("term_close")
    with op.batch_alter_table("progress_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_import_rollout_id"))
        batch_op.drop_index(batch_op.f("ix_progress_import_region_id"))

    op.drop_table("progress_import")
    with op.batch_alter_table("module_progress", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_module_progress_region_id_region",
            "region",
            ["region_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    # ### end Alembic commands ###
