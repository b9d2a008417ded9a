"""Fresh databases for each run, and the server versions for the report."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import sqlalchemy as sa

PG_URL = os.environ.get("DISTILL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("DISTILL_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
BACKENDS = ("sqlite", "postgresql", "mysql")


def _admin_url(backend: str) -> str:
    """The server URL the suite connects to for CREATE/DROP DATABASE."""
    return {"postgresql": PG_URL, "mysql": MYSQL_URL}[backend]


def create(backend: str, label: str, folder: Path) -> str:
    """A new empty database on `backend`; returns its (synchronous driver) URL."""
    name = f"rw_{label}_{uuid.uuid4().hex[:8]}".replace("-", "_")
    if backend == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / name}.db"
    quote = '"' if backend == "postgresql" else "`"
    _admin(backend, f"CREATE DATABASE {quote}{name}{quote}")
    url = sa.make_url(_admin_url(backend)).set(database=name)
    return url.render_as_string(hide_password=False)


def drop(url: str) -> None:
    """Drop a database `create` made (a SQLite file is removed)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        Path(parsed.database or "").unlink(missing_ok=True)
        return
    backend = parsed.get_backend_name()
    statement = {
        "postgresql": f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)',
        "mysql": f"DROP DATABASE IF EXISTS `{parsed.database}`",
    }[backend]
    _admin(backend, statement)


def reset(url: str) -> None:
    """Make the database at `url` empty again (same name)."""
    drop(url)
    parsed = sa.make_url(url)
    backend = parsed.get_backend_name()
    if backend != "sqlite":
        quote = '"' if backend == "postgresql" else "`"
        _admin(backend, f"CREATE DATABASE {quote}{parsed.database}{quote}")


def _admin(backend: str, statement: str) -> None:
    """Run one statement on the server's administrative connection."""
    engine = sa.create_engine(_admin_url(backend), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def with_driver(url: str, driver: str | None) -> str:
    """`url` with another DBAPI driver (e.g. asyncpg for an async env.py)."""
    if not driver:
        return url
    parsed = sa.make_url(url)
    return parsed.set(drivername=f"{parsed.get_backend_name()}+{driver}").render_as_string(
        hide_password=False
    )


def server_version(backend: str) -> str:
    """The server's version string (SQLite: the library's)."""
    if backend == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    engine = sa.create_engine(_admin_url(backend))
    try:
        with engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT version()").scalar_one()
    finally:
        engine.dispose()
    text = str(version)
    if backend == "postgresql":
        return " ".join(text.split()[:2])
    return ("MariaDB " if "mariadb" in text.lower() else "MySQL ") + text.split("-")[0]
