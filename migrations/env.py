import logging
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine():
    return current_app.extensions["migrate"].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
    except AttributeError:
        return str(get_engine().url).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


#: Revisions folded into a baseline, and the baseline that replaces them. A database stamped
#: at the old head has exactly the baseline's schema (compared with pg_dump and reflection
#: when the baseline was written), so it is re-stamped to the baseline before Alembic reads
#: its version; `summit db upgrade` then goes on from there.
REPLACED = {"b7e4c1d9a2f6": "4e9ac3a41fc6"}

#: The rest of the chain that baseline 4e9ac3a41fc6 replaced (22 Nov - 3 Dec 2026). A
#: database stopped part-way must first reach b7e4c1d9a2f6 with a Summit from before the
#: baseline (git commit e6510dd); its schema is not the baseline's.
FOLDED = {  # in chain order, the first created the schema
    "2b49d9a96496", "c99ccfda3f41", "63967f300e53", "f658b865e22f", "56dbaf9e6560",
    "a9c1e5d3b7f2", "b570032eb31e", "680b01f8975f", "1c1b8d8fd42d", "312efadb16b5",
    "7d3e5a91c2b4", "9b6f0c2d4e81", "aa0b2101d8b9", "a10e4587aeb7", "ea54f0b41c91",
    "37ce148fe802", "5e19a7c2d4b1", "5d1e0f7a2c4b", "8c3f6b9d1e27", "929515a407ef",
    "65dc42d9826a", "5d1c2e7a9b40",
}  # fmt: skip


def restamp_replaced(connection, table="alembic_version", schema=None):
    """Move a database stamped at a replaced head to its baseline (committed before Alembic
    reads the version); refuse one stopped part-way through a replaced chain."""
    with connection.begin():
        if not sa.inspect(connection).has_table(table, schema=schema):
            return
        version = sa.table(table, sa.column("version_num"), schema=schema)
        for stamped in connection.execute(sa.select(version.c.version_num)).scalars().all():
            if stamped in FOLDED:
                raise RuntimeError(
                    f"this database is at revision {stamped}, part-way through the migrations "
                    f"that baseline {REPLACED['b7e4c1d9a2f6']} replaced: upgrade it to "
                    "b7e4c1d9a2f6 with Summit at git commit e6510dd first"
                )
            if stamped in REPLACED:
                connection.execute(
                    version.update()
                    .where(version.c.version_num == stamped)
                    .values(version_num=REPLACED[stamped])
                )
                logger.info("Re-stamped %s (replaced) as baseline %s", stamped, REPLACED[stamped])


def render_item(type_, obj, autogen_context):
    """Render the app's UTC datetime type as a plain DateTime: migrations never import the app."""
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime()"
    return False


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives
    conf_args.setdefault("render_item", render_item)

    connectable = get_engine()

    with connectable.connect() as connection:
        restamp_replaced(
            connection,
            conf_args.get("version_table", "alembic_version"),
            conf_args.get("version_table_schema"),
        )
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)

        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
