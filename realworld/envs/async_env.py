"""env.py for an async history whose own env.py runs only inside its application.

It does what such an env.py does at its core: an async engine from `sqlalchemy.url`,
`run_sync` into a synchronous migration run, one transaction per revision, batch
rendering on SQLite.
"""

import asyncio
import importlib

from alembic import context
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import create_async_engine

config = context.config
# the modules the package's own env.py imports: revisions may rely on them being loaded
for module in (config.get_main_option("realworld.imports") or "").split():
    importlib.import_module(module)


def run_migrations(connection: Connection) -> None:
    """Configure the context on the synchronous side of the async connection and run."""
    context.configure(
        connection=connection,
        target_metadata=None,
        transaction_per_migration=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    """Open an async connection and hand it to the migrations."""
    url = config.get_main_option("sqlalchemy.url") or ""
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


asyncio.run(run_online())
