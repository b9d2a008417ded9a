"""The floors: what a case costs without any migration tool, each run as a fresh process.

`python bench/floors.py MODE ARGS...`. Each mode imports only what it needs (not even
`typing` or `pathlib` at the top), so a floor pays for its own work and nothing else.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    import sqlalchemy as sa


def read_files(folder: str) -> int:
    """Read every revision file of `folder`: the least a tool listing them must do."""
    count = 0
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                handle.read()
            count += 1
    return count


def dbapi_connect(driver: str, target: str) -> Any:
    """A raw DBAPI connection: `target` is a file path for sqlite3, a conninfo for psycopg."""
    if driver == "sqlite3":
        import sqlite3

        return sqlite3.connect(target, isolation_level=None)
    import psycopg

    return psycopg.connect(target)


def _ends_revision(statement: str) -> bool:
    """Whether `statement` writes the version row, the last statement of a revision."""
    return "alembic_version" in statement.split("(", 1)[0] and not statement.startswith("CREATE")


def dbapi_execute(
    driver: str, target: str, statements: Sequence[str], per_revision: bool = False
) -> None:
    """Run `statements` straight through the driver: in one transaction, or committing
    after each revision's version-row statement (`per_revision`)."""
    connection = dbapi_connect(driver, target)
    cursor = connection.cursor()

    def commit() -> None:
        if driver == "sqlite3":  # autocommit mode: the transaction is ours to close
            cursor.execute("COMMIT")
        else:
            connection.commit()

    pending = False
    for statement in statements:
        if not pending and driver == "sqlite3":
            cursor.execute("BEGIN")
        cursor.execute(statement)
        pending = True
        if per_revision and _ends_revision(statement):
            commit()
            pending = False
    if pending:
        commit()
    connection.close()


def dbapi_versions(driver: str, target: str) -> list[str]:
    """The rows of the version table, read straight through the driver."""
    connection = dbapi_connect(driver, target)
    cursor = connection.cursor()
    cursor.execute("SELECT version_num FROM alembic_version")
    rows = [str(row[0]) for row in cursor.fetchall()]
    connection.close()
    return rows


def env_start(url: str) -> list[str]:
    """What a stock env.py makes any tool do: import SQLAlchemy, make an engine with
    NullPool, connect and read the version table."""
    import sqlalchemy as sa

    engine = sa.engine_from_config(
        {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=sa.pool.NullPool
    )
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    return [str(row[0]) for row in rows]


def _engine(url: str) -> sa.Engine:
    """An engine that runs SQLite DDL inside the transaction, as PostgreSQL does."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_connection: object, record: object) -> None:
            dbapi_connection.isolation_level = None  # type: ignore[attr-defined]

        @sa.event.listens_for(engine, "begin")
        def _begin(connection: sa.Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    return engine


def sqlalchemy_execute(url: str, direction: str, count: int) -> None:
    """Run a linear history's DDL through SQLAlchemy Core in one transaction."""
    from bench.ddl import downgrade_elements, upgrade_elements
    from bench.projects import linear_steps

    steps = linear_steps(count)
    elements = upgrade_elements(steps) if direction == "upgrade" else downgrade_elements(steps)
    engine = _engine(url)
    with engine.begin() as connection:
        for element in elements:
            connection.execute(element)
    engine.dispose()


def compile_script(url: str, count: int) -> str:
    """The `upgrade head --sql` script of a linear history, compiled by SQLAlchemy."""
    from bench.ddl import compiled, upgrade_elements
    from bench.projects import linear_steps

    statements = compiled(upgrade_elements(linear_steps(count)), url)
    return "BEGIN;\n\n" + "".join(f"{statement};\n\n" for statement in statements) + "COMMIT;\n"


def reflect(url: str) -> int:
    """One bulk reflection of the whole schema (`Inspector.get_multi_*`)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        columns = inspector.get_multi_columns()
        inspector.get_multi_pk_constraint()
        inspector.get_multi_foreign_keys()
        inspector.get_multi_indexes()
        inspector.get_multi_unique_constraints()
    engine.dispose()
    return len(columns)


def main(argv: Sequence[str]) -> None:
    """Dispatch on the mode; print what a check after the run can look at."""
    mode, *args = argv
    if mode == "read":
        print(read_files(args[0]))
    elif mode in ("dbapi", "dbapi-per-revision"):
        import json

        driver, target, script = args
        with open(script, encoding="utf-8") as handle:
            dbapi_execute(driver, target, json.load(handle), mode == "dbapi-per-revision")
    elif mode == "version":
        print("\n".join(dbapi_versions(*args)))
    elif mode == "env-start":
        print("\n".join(env_start(args[0])))
    elif mode == "sqlalchemy":
        sqlalchemy_execute(args[0], args[1], int(args[2]))
    elif mode == "compile":
        sys.stdout.write(compile_script(args[0], int(args[1])))
    elif mode == "reflect":
        print(reflect(args[0]))
    else:
        raise SystemExit(f"unknown floor mode {mode!r}")


if __name__ == "__main__":
    # Run as a script: make the repository importable for the modes that need `bench`.
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    main(sys.argv[1:])
