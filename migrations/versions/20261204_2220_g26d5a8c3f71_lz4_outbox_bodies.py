"""lz4 for the outbox's bodies (issue 26, PostgreSQL 14+ built with lz4; nothing elsewhere)

A weekly journey email is 10–15 kB of HTML (its style sheet inlined for Outlook) and a
text part: past 2 kB a row is compressed before it is stored, by PostgreSQL's own pglz
unless the column says otherwise. pglz cost the database about 35 µs a row where lz4 cost 3
(20,000 rows of repetitive HTML, PostgreSQL 15 on this machine): for a million learners'
week, half a minute of the database's CPU inside the three minutes the fan-out has, and
more again when the delivery workers read the bodies back. Rows already stored keep
their compression; new ones take lz4. xAPI statements past 2 kB (long results, many
extensions) take it too.

Revision ID: g26d5a8c3f71
Revises: f26c3e9a1b47
Create Date: 2026-12-04 22:20:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "g26d5a8c3f71"
down_revision = "f26c3e9a1b47"
branch_labels = None
depends_on = None

#: table -> its large text columns written in bulk
COLUMNS = {
    "outbound_email": ("text_body", "html_body"),
    "xapi_statement": ("payload",),
}


def _has_lz4() -> bool:
    """PostgreSQL 14 or newer, built with lz4 (Debian's and the official images are)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    return bool(
        bind.exec_driver_sql(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        ).scalar()
    )


def upgrade():
    if not _has_lz4():
        return
    for table, columns in COLUMNS.items():
        changes = ", ".join(f"ALTER COLUMN {c} SET COMPRESSION lz4" for c in columns)
        op.execute(f"ALTER TABLE {table} {changes}")


def downgrade():
    if not _has_lz4():
        return
    for table, columns in COLUMNS.items():
        changes = ", ".join(f"ALTER COLUMN {c} SET COMPRESSION default" for c in columns)
        op.execute(f"ALTER TABLE {table} {changes}")
