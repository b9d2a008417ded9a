"""A database's schema as plain comparable lines, and the difference of two of them.

`distill test` takes a snapshot before a revision's upgrade and after its downgrade;
the two must be equal. Each object becomes one readable line (a column with its type,
nullability, default and comment; an index with its columns; a constraint; an enum's labels), so
a difference reads as the objects one side has and the other has not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from distill.autogenerate.reflect import ReflectedDatabase, ReflectedTable, reflect_database


@dataclass(frozen=True)
class SchemaSnapshot:
    """Every table's objects and every enum type, one line each."""

    tables: Mapping[str, frozenset[str]]
    enums: frozenset[str]

    @property
    def is_empty(self) -> bool:
        """True when the database holds no table (besides the version table) and no enum."""
        return not self.tables and not self.enums


def take_snapshot(
    connection: sa.Connection, version_table: str = "alembic_version"
) -> SchemaSnapshot:
    """Read the default schema of `connection` into a snapshot (the version table left out)."""
    reflected = reflect_database(connection, [None], version_table=("__none__", version_table))
    return snapshot_of(reflected, connection.dialect)


def snapshot_of(reflected: ReflectedDatabase, dialect: sa.Dialect) -> SchemaSnapshot:
    """The snapshot of reflected data; types are compiled for `dialect`."""
    tables = {
        _table_key(key): frozenset(_table_lines(table, dialect))
        for key, table in reflected.tables.items()
    }
    enums = frozenset(
        f"enum {_qualified(schema, name)} ({', '.join(enum.labels)})"
        for (schema, name), enum in reflected.enums.items()
    )
    return SchemaSnapshot(tables, enums)


def _table_key(key: tuple[str | None, str]) -> str:
    schema, name = key
    return _qualified(schema, name)


def _qualified(schema: str | None, name: str) -> str:
    return f"{schema}.{name}" if schema else name


def _table_lines(table: ReflectedTable, dialect: sa.Dialect) -> Iterable[str]:
    for column in table.columns:
        null = "NULL" if column.nullable else "NOT NULL"
        default = f" DEFAULT {column.default}" if column.default is not None else ""
        comment = f" COMMENT {column.comment!r}" if column.comment else ""
        yield f"column {column.name} {_type_text(column.type, dialect)} {null}{default}{comment}"
    if table.primary_key.columns:
        yield f"primary key ({', '.join(table.primary_key.columns)})"
    for index in table.indexes:
        if index.duplicates_constraint:
            continue  # the unique constraint's own index, listed with the constraint
        unique = "unique index" if index.unique else "index"
        parts = index.expressions or tuple(str(column) for column in index.columns)
        yield f"{unique} {index.name or '(unnamed)'} ({', '.join(parts)})"
    for unique_constraint in table.uniques:
        name = unique_constraint.name or "(unnamed)"
        yield f"unique constraint {name} ({', '.join(unique_constraint.columns)})"
    for fk in table.foreign_keys:
        target = _qualified(fk.referred_schema, fk.referred_table)
        options = _options_text(fk.options)
        yield (
            f"foreign key {fk.name or '(unnamed)'} ({', '.join(fk.columns)}) -> "
            f"{target} ({', '.join(fk.referred_columns)}){options}"
        )
    for check in table.checks or ():
        yield f"check {check.name or '(unnamed)'} ({check.sqltext})"
    if table.comment:
        yield f"comment {table.comment!r}"


def _type_text(type_: Any, dialect: sa.Dialect) -> str:
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:  # a reflected type the dialect cannot render: compare its repr
        return repr(type_)


def _options_text(options: Mapping[str, Any]) -> str:
    shown = [f"{key.upper()} {value}" for key, value in sorted(options.items()) if value]
    return f" {' '.join(shown)}" if shown else ""


def difference(before: SchemaSnapshot, after: SchemaSnapshot) -> list[str]:
    """Lines naming what `after` has that `before` has not (+) and the reverse (-)."""
    lines: list[str] = []
    for name in sorted(set(before.tables) | set(after.tables)):
        if name not in after.tables:
            lines.append(f"- table {name}")
        elif name not in before.tables:
            lines.append(f"+ table {name}")
        else:
            old, new = before.tables[name], after.tables[name]
            lines.extend(f"- {name}: {line}" for line in sorted(old - new))
            lines.extend(f"+ {name}: {line}" for line in sorted(new - old))
    lines.extend(f"- {line}" for line in sorted(before.enums - after.enums))
    lines.extend(f"+ {line}" for line in sorted(after.enums - before.enums))
    return lines
