"""What the live database says about a table or a column, read with SQLAlchemy's reflection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from distill.dialects.builtin_errors import NoSuchTable
from distill.errors import DistillError

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import ReflectedColumn


def reflected_column(
    connection: sa.Connection,
    table_name: str,
    column_name: str,
    *,
    schema: str | None = None,
    where: str = "",
) -> ReflectedColumn:
    """The column as the database describes it; DistillError when it or its table is absent.

    `where` (e.g. "alter_column('t', 'c')") starts the error message.
    """
    label = f"{schema}.{table_name}" if schema else table_name
    prefix = f"{where}: " if where else ""
    try:
        columns = sa.inspect(connection).get_columns(table_name, schema=schema)
    except sa.exc.NoSuchTableError:
        raise NoSuchTable(
            f"{prefix}table {label} does not exist; check the table name (and schema=)"
        ) from None
    for column in columns:
        if column["name"] == column_name:
            return column
    names = ", ".join(c["name"] for c in columns)
    raise DistillError(
        f"{prefix}table {label} has no column {column_name!r} (its columns: {names}); "
        "check the column name"
    )


def reflect_table(
    connection: sa.Connection,
    table_name: str,
    *,
    schema: str | None = None,
    reflect_args: Iterable[Any] = (),
    reflect_kwargs: Mapping[str, Any] | None = None,
) -> sa.Table:
    """The table as SQLAlchemy's reflection reads it, into a MetaData of its own."""
    return sa.Table(
        table_name,
        sa.MetaData(),
        *reflect_args,
        schema=schema,
        autoload_with=connection,
        **dict(reflect_kwargs or {}),
    )
