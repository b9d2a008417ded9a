"""Migration environment for several databases: distill runs this file for every
command that needs the databases. Each revision runs once per database name."""

import logging
from logging.config import fileConfig

from sqlalchemy import engine_from_config, pool

from distill import context

config = context.config

# disable_existing_loggers=False: an application that calls distill.command.upgrade()
# keeps the loggers it had already set up.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("distill.env")

# The database names: `databases = engine1, engine2` in distill.ini, each with a
# [name] section holding its sqlalchemy.url.
database_names = [
    name.strip() for name in config.get_main_option("databases", "").split(",") if name.strip()
]

# One MetaData per database, for `distill revision --autogenerate`, e.g.:
#     from myapp import models
#     target_metadata = {"engine1": models.metadata1, "engine2": models.metadata2}
target_metadata = {}


def run_migrations_offline() -> None:
    """`--sql`: write each database's SQL to <name>.sql instead of connecting."""
    for name in database_names:
        url = config.get_section_option(name, "sqlalchemy.url")
        log.info("Writing the SQL of database %s to %s.sql", name, name)
        with open(f"{name}.sql", "w") as output:
            context.configure(
                url=url,
                output_buffer=output,
                target_metadata=target_metadata.get(name),
                literal_binds=True,
                dialect_opts={"paramstyle": "named"},
            )
            with context.begin_transaction():
                context.run_migrations(engine_name=name)


def run_migrations_online() -> None:
    """Migrate every database, committing all of them only if all succeed."""
    connections = {}
    transactions = {}
    try:
        for name in database_names:
            engine = engine_from_config(
                config.get_section(name, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
            )
            connections[name] = engine.connect()
            transactions[name] = connections[name].begin()
        for name in database_names:
            log.info("Migrating database %s", name)
            context.configure(
                connection=connections[name],
                upgrade_token=f"{name}_upgrades",
                downgrade_token=f"{name}_downgrades",
                target_metadata=target_metadata.get(name),
            )
            context.run_migrations(engine_name=name)
        for transaction in transactions.values():
            transaction.commit()
    except BaseException:
        for transaction in transactions.values():
            if transaction.is_active:
                transaction.rollback()
        raise
    finally:
        for connection in connections.values():
            connection.close()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
