"""SQLite reflection in a handful of queries: SQLAlchemy's parsing, fed from bulk reads.

SQLAlchemy reflects a SQLite table with one PRAGMA per kind of object and table (and one
per index), so a thousand tables cost ten thousand queries. The inspector made here
gives SQLAlchemy's own reflection code the same PRAGMA rows and CREATE statements, read
for every table at once through the table-valued pragma functions, so what it returns
is unchanged. A name the bulk reads did not see (an attached schema, a name in another
case) goes to SQLAlchemy's own per-table query.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Inspector

Rows = list[tuple[Any, ...]]

# The PRAGMAs SQLAlchemy runs per table (keyed by table name) and per index.
_PER_TABLE = ("table_xinfo", "table_info", "foreign_key_list", "index_list")
_PER_INDEX = ("index_info",)
# The databases a PRAGMA without a schema looks in, in SQLAlchemy's order.
_DATABASES = ("main", "temp")


def bulk_inspector(connection: Connection) -> Inspector:
    """An Inspector on `connection` whose dialect reads each kind of object in one query."""
    inspector = sa.inspect(connection)
    inspector.dialect = _bulk_dialect(connection.dialect)
    return inspector


def _bulk_dialect(dialect: Dialect) -> Dialect:
    """A shallow copy of `dialect` whose two low-level readers answer from bulk reads."""
    reader = _BulkReader(dialect)
    bulk = copy.copy(dialect)
    bulk._get_table_pragma = reader.table_pragma  # type: ignore[attr-defined]
    bulk._get_table_sql = reader.table_sql  # type: ignore[attr-defined]
    return bulk


class _BulkReader:
    """The PRAGMA rows and CREATE statements of every table, each kind read once."""

    def __init__(self, dialect: Dialect) -> None:
        self._pragma: Callable[..., Rows] = dialect._get_table_pragma  # type: ignore[attr-defined]
        self._sql: Callable[..., str | None] = dialect._get_table_sql  # type: ignore[attr-defined]
        self._rows: dict[str, tuple[set[str], list[dict[str, Rows]]]] = {}
        self._statements: dict[str, str | None] | None = None

    def table_pragma(
        self, connection: Connection, pragma: str, table_name: str, schema: str | None = None
    ) -> Rows:
        """What `PRAGMA main.X(name)`, else `PRAGMA temp.X(name)`, returns."""
        if schema is not None or pragma not in (*_PER_TABLE, *_PER_INDEX):
            return self._pragma(connection, pragma, table_name, schema=schema)
        if pragma not in self._rows:
            self._rows[pragma] = _read_pragma(connection, pragma)
        known, by_database = self._rows[pragma]
        if table_name not in known:
            return self._pragma(connection, pragma, table_name, schema=schema)
        for rows in by_database:
            found = rows.get(table_name)
            if found:
                return found
        return []

    def table_sql(
        self, connection: Connection, table_name: str, schema: str | None = None, **kw: Any
    ) -> str | None:
        """The CREATE statement of a table or view (main first, then temp)."""
        if schema is not None:
            return self._sql(connection, table_name, schema, **kw)
        if self._statements is None:
            self._statements = {}
            for name, sql in connection.exec_driver_sql(
                "SELECT name, sql FROM (SELECT * FROM main.sqlite_master UNION ALL "
                "SELECT * FROM temp.sqlite_master) WHERE type IN ('table', 'view')"
            ):
                self._statements.setdefault(name, sql)
        if table_name not in self._statements:
            return self._sql(connection, table_name, schema, **kw)
        return self._statements[table_name]


def _read_pragma(connection: Connection, pragma: str) -> tuple[set[str], list[dict[str, Rows]]]:
    """The rows of `pragma` for every table and view (or index) of main and temp, in one
    query; a name whose pragma has no rows comes back once with NULLs (a LEFT JOIN)."""
    parts = []
    for number, database in enumerate(_DATABASES):
        if pragma in _PER_TABLE:
            parts.append(
                f"SELECT {number}, m.name, p.* FROM {database}.sqlite_master AS m "
                f"LEFT JOIN pragma_{pragma}(m.name, '{database}') AS p "
                "WHERE m.type IN ('table', 'view')"
            )
        else:
            parts.append(
                f"SELECT {number}, l.name, p.* FROM {database}.sqlite_master AS m "
                f"JOIN pragma_index_list(m.name, '{database}') AS l "
                f"LEFT JOIN pragma_{pragma}(l.name, '{database}') AS p "
                "WHERE m.type = 'table'"
            )
    known: set[str] = set()
    by_database: list[dict[str, Rows]] = [{} for _ in _DATABASES]
    for row in connection.exec_driver_sql(" UNION ALL ".join(parts)):
        number, name, first = row[0], row[1], row[2]
        known.add(name)
        rows = by_database[number].setdefault(name, [])
        # every pragma read here numbers its rows in the first column: NULL is no row
        if first is not None:
            rows.append(tuple(row[2:]))
    return known, by_database
