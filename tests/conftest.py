"""Shared fixtures: fresh databases on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get("DISTILL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("DISTILL_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ("sqlite", "postgresql", "mysql")

DatabaseFactory = Callable[[str], str]


SERVER_BACKENDS = ("postgresql", "mysql")
SERVER_FIXTURES = {"pg_url", "mysql_url"}


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--quick`: the inner-loop subset (SQLite only, no Alembic subprocess parity)."""
    parser.addoption(
        "--quick",
        action="store_true",
        help="run only what needs no database server and no Alembic subprocess (inner loop)",
    )


def _quick(config: pytest.Config) -> bool:
    return bool(config.getoption("--quick"))


def _needs_server(item: pytest.Item) -> bool:
    """True when the test asks for a PostgreSQL or MariaDB database."""
    names = set(getattr(item, "fixturenames", ()))
    if names & SERVER_FIXTURES:
        return True
    callspec = getattr(item, "callspec", None)
    if callspec is None or "new_database" not in names:
        return False
    wanted = set(SERVER_BACKENDS) | SERVER_FIXTURES
    return any(isinstance(value, str) and value in wanted for value in callspec.params.values())


def _runs_alembic(item: pytest.Item) -> bool:
    """True for tests comparing with real Alembic projects run in subprocesses."""
    module = getattr(item, "module", None)
    return module is not None and "make_project" in vars(module)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under --quick, leave out server databases, Alembic subprocess parity and installs."""
    if not _quick(config):
        return
    if IN_CI:
        raise pytest.UsageError("--quick is for the inner loop; CI runs the whole suite")
    kept = [
        item
        for item in items
        if not (_needs_server(item) or _runs_alembic(item) or item.get_closest_marker("installs"))
    ]
    dropped = [item for item in items if item not in kept]
    config.hook.pytest_deselected(items=dropped)
    items[:] = kept


def _unavailable(name: str, error: Exception) -> None:
    """Fail under CI (a missing database is a broken CI), skip on a laptop without it."""
    message = f"{name} is not reachable ({error.__class__.__name__}: {error}); see DESIGN.md"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)  # not CI: a developer machine without this database


def _server_url(base: str, database: str) -> str:
    """Return `base` pointing at another database on the same server."""
    return sa.make_url(base).set(database=database).render_as_string(hide_password=False)


class _Databases:
    """Creates fresh databases and drops them all at the end of a test."""

    def __init__(self, tmp_path: Path, quick: bool = False) -> None:
        self.tmp_path = tmp_path
        self.quick = quick
        self.created: list[tuple[str, str]] = []

    def __call__(self, backend: str) -> str:
        """A new empty database on `backend` ("sqlite", "postgresql" or "mysql")."""
        name = f"distill_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            return f"sqlite:///{self.tmp_path}/{name}.db"
        if self.quick:  # never under CI: --quick is a usage error there (above)
            pytest.skip(f"--quick leaves out {backend}; the full suite runs it")
        admin_url, create = {
            "postgresql": (PG_URL, f'CREATE DATABASE "{name}"'),
            "mysql": (MYSQL_URL, f"CREATE DATABASE `{name}`"),
        }[backend]
        try:
            admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(create)
            admin.dispose()
        except Exception as error:  # any driver or connection failure
            _unavailable({"postgresql": "PostgreSQL", "mysql": "MariaDB"}[backend], error)
        self.created.append((backend, name))
        return _server_url(admin_url, name)

    def drop_all(self) -> None:
        """Drop every server database this test created."""
        for backend, name in self.created:
            if backend == "postgresql":
                url, drop = PG_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            else:
                url, drop = MYSQL_URL, f"DROP DATABASE IF EXISTS `{name}`"
            admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(drop)
            admin.dispose()


@pytest.fixture
def new_database(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[DatabaseFactory]:
    """A function that makes a fresh database on a backend; all are dropped afterwards."""
    databases = _Databases(tmp_path, quick=_quick(request.config))
    try:
        yield databases
    finally:
        databases.drop_all()


@pytest.fixture
def sqlite_url(new_database: DatabaseFactory) -> str:
    """A fresh SQLite database file."""
    return new_database("sqlite")


@pytest.fixture
def pg_url(new_database: DatabaseFactory) -> str:
    """A fresh PostgreSQL database, dropped after the test."""
    return new_database("postgresql")


@pytest.fixture
def mysql_url(new_database: DatabaseFactory) -> str:
    """A fresh MariaDB/MySQL database, dropped after the test."""
    return new_database("mysql")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each of the three backends in turn."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, new_database: DatabaseFactory) -> str:
    """A fresh database on each of the three backends in turn."""
    return new_database(backend)
