"""env.py of the reproductions: the stock online env.py, configure() options from the ini."""

import json

from alembic import context
from sqlalchemy import MetaData, engine_from_config, event, pool

config = context.config
options = json.loads(config.get_main_option("realworld.configure") or "{}")
# a naming convention for target_metadata, which JSON cannot carry as a MetaData
convention = options.pop("target_naming_convention", None)
target_metadata = MetaData(naming_convention=convention) if convention else None

engine = engine_from_config(
    config.get_section(config.config_ini_section) or {},
    prefix="sqlalchemy.",
    poolclass=pool.NullPool,
)
if config.get_main_option("realworld.sqlite_foreign_keys") == "true":

    @event.listens_for(engine, "connect")
    def foreign_keys_on(dbapi_connection, record):  # type: ignore[no-untyped-def]
        """What applications such as Airflow do on every SQLite connection."""
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata, **options)
    with context.begin_transaction():
        context.run_migrations()
