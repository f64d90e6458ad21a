"""The migrations build exactly the schema the models describe."""

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_models_and_migrations_agree():
    with db.engine.connect() as conn, warnings.catch_warnings():
        # the PostgreSQL-only expression index (``ddl_if``): alembic says it cannot compare
        # it on SQLite, which has not got it
        warnings.filterwarnings(
            "ignore", message="autogenerate skipping metadata-specified expression-based index"
        )
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"run `summit db migrate` and check the result by hand: {diff}"


def test_single_migration_head(app):
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads {heads}: chain them"


def test_the_hot_tables_vacuum_early_on_postgresql():
    """Issue 26: autovacuum at a fixed small share on the tables written all day (the
    migration is PostgreSQL-only; SQLite has no such setting and nothing is done there)."""
    with db.engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            return
        options = dict(
            conn.exec_driver_sql(
                "SELECT relname, reloptions FROM pg_class "
                "WHERE relname IN ('module_progress', 'xapi_statement', 'outbound_email')"
            ).all()
        )
    assert "autovacuum_vacuum_scale_factor=0.02" in options["module_progress"]
    assert "autovacuum_vacuum_insert_scale_factor=0.02" in options["xapi_statement"]
    assert "fillfactor=80" in options["outbound_email"]


def test_the_outbox_bodies_are_compressed_with_lz4_on_postgresql():
    """Issue 26: a million weekly emails of 10–15 kB, compressed by lz4 rather than pglz
    (where the server has lz4; PostgreSQL 14+ as Debian builds it)."""
    with db.engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            return
        if not conn.exec_driver_sql(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        ).scalar():
            return
        methods = dict(
            conn.exec_driver_sql(
                "SELECT a.attname, a.attcompression FROM pg_attribute a "
                "JOIN pg_class c ON c.oid = a.attrelid "
                "WHERE c.relname = 'outbound_email' AND a.attname IN ('text_body', 'html_body')"
            ).all()
        )
        assert methods == {"text_body": "l", "html_body": "l"}
        # and a stored body is compressed by it
        conn.exec_driver_sql(
            "CREATE TEMP TABLE lz4_probe (LIKE outbound_email INCLUDING COMPRESSION)"
        )
        conn.exec_driver_sql(
            "INSERT INTO lz4_probe (id, idempotency_key, kind, to_address, to_name, subject, "
            "text_body, html_body, message_id, status, attempts, created_at, next_attempt_at) "
            "VALUES (1, 'k', 'k', 'a@example.com', '', 's', repeat('text ', 2000), "
            "repeat('<p>html</p>', 2000), '<m@x>', 'pending', 0, now(), now())"
        )
        stored = conn.exec_driver_sql(
            "SELECT pg_column_compression(html_body) FROM lz4_probe"
        ).scalar()
        assert stored == "lz4"
