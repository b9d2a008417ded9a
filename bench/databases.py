"""The database a case runs against, put back in a known state before every run.

States come from templates built once through the DBAPI: a SQLite file copied over the
case's file, a PostgreSQL database cloned with CREATE DATABASE ... TEMPLATE.
"""

from __future__ import annotations

import shutil
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

from bench.floors import dbapi_connect, dbapi_execute, dbapi_versions


class Database(ABC):
    """What a case needs of a database: a URL, a DBAPI target, and resets."""

    name = ""
    driver = ""
    tables_query = ""

    @property
    @abstractmethod
    def url(self) -> str:
        """The SQLAlchemy URL both tools get in alembic.ini."""
        raise NotImplementedError

    @property
    @abstractmethod
    def target(self) -> str:
        """The DBAPI's connect argument for the same database."""
        raise NotImplementedError

    @abstractmethod
    def empty(self) -> None:
        """Make the case's database new and empty."""
        raise NotImplementedError

    @abstractmethod
    def has_template(self, name: str) -> bool:
        """Whether the template `name` was built already."""
        raise NotImplementedError

    @abstractmethod
    def build_template(self, name: str, statements: Sequence[str]) -> None:
        """Build the template `name` by running `statements` on an empty database."""
        raise NotImplementedError

    @abstractmethod
    def restore(self, name: str) -> None:
        """Make the case's database a copy of the template `name`."""
        raise NotImplementedError

    def close(self) -> None:  # noqa: B027 - most databases leave nothing behind
        """Remove everything this object created."""

    def versions(self) -> list[str]:
        """The rows of the version table (none when the table is missing)."""
        if "alembic_version" not in self.tables():
            return []
        return sorted(dbapi_versions(self.driver, self.target))

    def tables(self) -> list[str]:
        """The names of the tables in the database."""
        connection = dbapi_connect(self.driver, self.target)
        try:
            cursor = connection.cursor()
            cursor.execute(self.tables_query)
            # distill's own tables (distill_log) are not the project's
            names = (str(row[0]) for row in cursor.fetchall())
            return sorted(name for name in names if not name.startswith("distill_"))
        finally:
            connection.close()


class SqliteDatabase(Database):
    """A database file in the suite's work folder."""

    name = "sqlite"
    driver = "sqlite3"
    tables_query = "SELECT name FROM sqlite_master WHERE type = 'table'"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "case.db"

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the case's file."""
        return f"sqlite:///{self.path}"

    @property
    def target(self) -> str:
        """The file's path."""
        return str(self.path)

    def empty(self) -> None:
        """Delete the file: SQLite creates it on first connection."""
        self.path.unlink(missing_ok=True)

    def _template(self, name: str) -> Path:
        return self.folder / f"template-{name}.db"

    def has_template(self, name: str) -> bool:
        """Whether the template file exists."""
        return self._template(name).exists()

    def build_template(self, name: str, statements: Sequence[str]) -> None:
        """Write the template file through sqlite3."""
        self._template(name).unlink(missing_ok=True)
        dbapi_execute(self.driver, str(self._template(name)), statements)

    def restore(self, name: str) -> None:
        """Copy the template file over the case's file."""
        shutil.copyfile(self._template(name), self.path)


class PostgresDatabase(Database):
    """A database on a PostgreSQL server, named uniquely so a shared server is safe."""

    name = "postgresql"
    driver = "psycopg"
    tables_query = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"

    def __init__(self, server_url: str) -> None:
        self.server = sa.make_url(server_url)
        self.prefix = f"distill_bench_{uuid.uuid4().hex[:8]}"
        self.case = f"{self.prefix}_case"
        self.templates: set[str] = set()
        self.admin = sa.create_engine(
            self.server, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
        )

    def _url(self, database: str) -> sa.URL:
        return self.server.set(database=database)

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the case's database."""
        return self._url(self.case).render_as_string(hide_password=False)

    def _conninfo(self, database: str) -> str:
        url = self._url(database)
        parts = {
            "host": url.host,
            "port": url.port,
            "user": url.username,
            "password": url.password,
            "dbname": url.database,
        }
        return " ".join(f"{key}={value}" for key, value in parts.items() if value is not None)

    @property
    def target(self) -> str:
        """The psycopg conninfo of the case's database."""
        return self._conninfo(self.case)

    def server_setting(self, name: str) -> str:
        """A setting of the server (SHOW)."""
        with self.admin.connect() as connection:
            return str(connection.exec_driver_sql(f"SHOW {name}").scalar())

    def _admin(self, *statements: str) -> None:
        with self.admin.connect() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)

    def _drop(self, database: str) -> str:
        return f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'

    def empty(self) -> None:
        """Drop and create the case's database."""
        self._admin(self._drop(self.case), f'CREATE DATABASE "{self.case}"')

    def _template(self, name: str) -> str:
        return f"{self.prefix}_{name.replace('-', '_')}"

    def has_template(self, name: str) -> bool:
        """Whether the template database was built in this run."""
        return name in self.templates

    def build_template(self, name: str, statements: Sequence[str]) -> None:
        """Create the template database and run `statements` in it through psycopg."""
        database = self._template(name)
        self._admin(self._drop(database), f'CREATE DATABASE "{database}"')
        self.templates.add(name)
        dbapi_execute(self.driver, self._conninfo(database), statements)

    def restore(self, name: str) -> None:
        """Clone the template database as the case's database."""
        self._admin(
            self._drop(self.case),
            f'CREATE DATABASE "{self.case}" TEMPLATE "{self._template(name)}"',
        )

    def close(self) -> None:
        """Drop every database this object made."""
        names = [self.case, *(self._template(name) for name in self.templates)]
        self._admin(*(self._drop(name) for name in names))
        self.admin.dispose()
