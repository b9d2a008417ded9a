"""Migration environment for an async driver: distill runs this file for every command
that needs the database."""

import asyncio
from logging.config import fileConfig

from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import async_engine_from_config

from distill import context

config = context.config

# disable_existing_loggers=False: an application that calls distill.command.upgrade()
# keeps the loggers it had already set up.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

# Your models' MetaData, for `distill revision --autogenerate`, e.g.:
#     from myapp.models import Base
#     target_metadata = Base.metadata
target_metadata = None


def run_migrations_offline() -> None:
    """`--sql`: write the SQL to stdout instead of connecting."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_with(connection: Connection) -> None:
    """Run the migrations on one open (synchronous-facing) connection."""
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_async() -> None:
    """Open an async connection and run the migrations through run_sync()."""
    engine = async_engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_with)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Connect to the database and run the migrations there."""
    # An application may hand over its own (sync) connection:
    #     config.attributes["connection"] = connection; command.upgrade(config, "head")
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
    else:
        asyncio.run(run_migrations_async())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
