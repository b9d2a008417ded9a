"""Ops that run SQL or insert rows rather than change the schema."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from distill.operations.ops.base import MigrateOperation, qualified_name, sql_text


@dataclass(frozen=True, eq=False, init=False)
class ExecuteSQLOp(MigrateOperation):
    """Run a SQL string, text() or Core statement."""

    sqltext: sa.Executable | str
    execution_options: dict[str, Any] | None

    def __init__(
        self,
        sqltext: sa.Executable | str,
        *,
        execution_options: dict[str, Any] | None = None,
    ) -> None:
        self._init(sqltext=sqltext, execution_options=execution_options)

    def describe(self) -> str:
        """One line saying what the op does."""
        text = " ".join(sql_text(self.sqltext).split())
        return f"Execute SQL: {text[:57] + '...' if len(text) > 60 else text}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("execute", self.sqltext)


@dataclass(frozen=True, eq=False, init=False)
class BulkInsertOp(MigrateOperation):
    """INSERT a list of rows (dicts keyed by column name) into a table."""

    table: sa.Table | sa.TableClause
    rows: list[dict[str, Any]]
    multiinsert: bool

    def __init__(
        self,
        table: sa.Table | sa.TableClause,
        rows: list[dict[str, Any]],
        *,
        multiinsert: bool = True,
    ) -> None:
        self._init(table=table, rows=rows, multiinsert=multiinsert)

    def describe(self) -> str:
        """One line saying what the op does."""
        count = len(self.rows)
        table = qualified_name(self.table.name, getattr(self.table, "schema", None))
        return f"Insert {count} row{'' if count == 1 else 's'} into {table}"
