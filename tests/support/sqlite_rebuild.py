"""Helpers for the table-rebuild and batch tests (no tests here): a small library database
with data, indexes, triggers, views and foreign keys both ways, and ways to look at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from distill.operations import Operations
from distill.runtime.migrator import MigrationContext

LIBRARY = [
    "CREATE TABLE org (id INTEGER PRIMARY KEY, title TEXT NOT NULL)",
    """CREATE TABLE author (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT COLLATE NOCASE NOT NULL,
        email VARCHAR(100),
        born TEXT DEFAULT (date('2000-01-01')),
        score REAL DEFAULT -1,
        bio,
        code TEXT,
        slug TEXT GENERATED ALWAYS AS (lower(name)) VIRTUAL,
        org_id INTEGER REFERENCES org(id) ON DELETE SET NULL,
        CONSTRAINT ck_score CHECK (score >= -1)
    )""",
    """CREATE TABLE book (
        id INTEGER PRIMARY KEY,
        author_id INTEGER NOT NULL REFERENCES author(id) ON DELETE CASCADE,
        title TEXT
    )""",
    "CREATE TABLE audit (msg TEXT)",
    "CREATE INDEX ix_author_email ON author (email)",
    "CREATE UNIQUE INDEX ux_author_name ON author (name)",
    "CREATE INDEX ix_author_good ON author (score) WHERE score > 0",
    "CREATE INDEX ix_author_lower ON author (lower(email))",
    """CREATE TRIGGER author_added AFTER INSERT ON author
        BEGIN INSERT INTO audit VALUES ('author ' || new.name); END""",
    """CREATE TRIGGER book_added AFTER INSERT ON book BEGIN
        INSERT INTO audit SELECT 'book of ' || name FROM author WHERE id = new.author_id;
        END""",
    """CREATE VIEW author_books AS SELECT a.name AS author, b.title AS title
        FROM author a JOIN book b ON b.author_id = a.id""",
    "INSERT INTO org VALUES (1, 'north'), (2, 'south')",
    """INSERT INTO author (name, email, score, bio, code, org_id) VALUES
        ('ada', 'ada@x', 5.5, NULL, '7', 1),
        ('bob', 'bob@x', 0, 'writes', '12', 2),
        ('gone', NULL, 1, NULL, NULL, NULL),
        ('cyd', NULL, 2, NULL, '3', NULL)""",
    "DELETE FROM author WHERE name = 'gone'",  # the AUTOINCREMENT high-water mark stays 4
    "INSERT INTO book VALUES (10, 1, 'engines'), (11, 1, 'notes'), (12, 2, 'poems'), (13, 4, 'x')",
    "DELETE FROM audit",  # the triggers' lines about the rows above
]


def make_library(url: str) -> sa.Engine:
    """A SQLite file holding the library; the engine to it."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        for statement in LIBRARY:
            connection.exec_driver_sql(statement)
    return engine


def foreign_keys_on(engine: sa.Engine) -> sa.Engine:
    """`engine` with PRAGMA foreign_keys=ON on every connection (as many applications do)."""

    @sa.event.listens_for(engine, "connect")
    def _on(dbapi_connection: Any, record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def state(connection: sa.Connection) -> dict[str, Any]:
    """Everything a rebuild must keep: schema objects, rows with their storage classes,
    the AUTOINCREMENT counters."""
    objects = connection.exec_driver_sql(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE tbl_name NOT LIKE 'distill\\_%' ESCAPE '\\' ORDER BY type, name"
    ).all()  # distill's own log (written when a revision fails) is not what is compared
    tables = [name for kind, name, _, _ in objects if kind == "table"]
    rows: dict[str, Any] = {}
    for table in tables:
        columns = [row[1] for row in connection.exec_driver_sql(f'PRAGMA table_xinfo("{table}")')]
        typed = ", ".join(f'"{c}", typeof("{c}")' for c in columns)
        rows[table] = sorted(
            map(tuple, connection.exec_driver_sql(f'SELECT {typed} FROM "{table}"')), key=repr
        )
    return {"objects": [tuple(o) for o in objects], "rows": rows}


def table_sql(connection: sa.Connection, name: str) -> str:
    """The CREATE statement SQLite stores for a table, index, trigger or view."""
    return str(
        connection.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).scalar()
    )


def rows(connection: sa.Connection, sql: str) -> list[tuple[Any, ...]]:
    """The rows of a query, as tuples."""
    return [tuple(row) for row in connection.exec_driver_sql(sql)]


@contextmanager
def migration(connection: sa.Connection, **opts: Any) -> Iterator[Operations]:
    """`op` inside a migration transaction, exactly as the runtime runs a revision."""
    if connection.in_transaction():
        connection.commit()  # env.py hands over a connection that is not in a transaction
    context = MigrationContext.configure(connection=connection, opts=opts)
    with context.begin_transaction(), Operations.context(context) as operations:
        yield operations


def reflected(connection: sa.Connection) -> dict[str, Any]:
    """The schema as SQLAlchemy reflects it (what an application sees), and the rows."""
    inspector = sa.inspect(connection)
    result: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        if table.startswith("distill_"):
            continue  # distill's own log, written by the run
        result[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in inspector.get_columns(table)
            ],
            "pk": inspector.get_pk_constraint(table),
            "fks": sorted(map(repr, inspector.get_foreign_keys(table))),
            "indexes": sorted(
                repr((i["name"], i["column_names"], i["unique"], _options(i)))
                for i in inspector.get_indexes(table)
            ),
            "uniques": sorted(map(repr, inspector.get_unique_constraints(table))),
            "checks": sorted(map(repr, inspector.get_check_constraints(table))),
        }
    return {"schema": result, "rows": state(connection)["rows"]}


def _options(index: Any) -> dict[str, str]:
    return {key: str(value) for key, value in (index.get("dialect_options") or {}).items()}
