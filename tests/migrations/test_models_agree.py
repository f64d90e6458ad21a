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
