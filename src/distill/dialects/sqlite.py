"""SQLite: what its ALTER TABLE cannot do, and the rebuild that will do it (batch, later)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from distill.dialects.base import DialectImpl, Sink
from distill.errors import DistillError

_REBUILD_LATER = (
    "changing it needs the table to be rebuilt (create a new table, copy the rows, drop "
    "the old one, rename), which distill will do with batch_alter_table support; until "
    "then write those steps by hand"
)


class SQLiteImpl(DialectImpl):
    """SQLite: transactional DDL, but no ALTER for columns or constraints."""

    dialect_names = ("sqlite",)

    # pysqlite runs DDL outside transactions unless told otherwise; distill's runtime
    # opens real transactions (BEGIN), so SQLite DDL rolls back as on PostgreSQL.
    can_rollback_ddl = True
    can_alter_column = False
    can_alter_constraints = False

    def __init__(
        self,
        dialect: Dialect,
        sink: Sink,
        *,
        transactional_ddl: bool | None = None,
        opts: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(dialect, sink, transactional_ddl=transactional_ddl, opts=opts)
        version = dialect.server_version_info  # None offline: assume a current SQLite
        if version is not None:
            self.can_drop_column = tuple(version) >= (3, 35, 0)
            self.can_rename_column = tuple(version) >= (3, 25, 0)

    def inline_in_add_column(self, constraint: sa.Constraint, inline_references: bool) -> bool:
        """REFERENCES and CHECK go into the column: SQLite has no ADD CONSTRAINT."""
        if isinstance(constraint, sa.CheckConstraint):
            return True
        return isinstance(constraint, sa.ForeignKeyConstraint) and len(constraint.elements) == 1

    def cannot_add_constraint(self, constraint: sa.Constraint, *, where: str) -> DistillError:
        """SQLite has no ADD CONSTRAINT: say what the rebuild is, and what works today."""
        error = super().cannot_add_constraint(constraint, where=where)
        hint = (
            ". For uniqueness, op.create_index(name, table, [columns], unique=True) works "
            "on SQLite today"
            if isinstance(constraint, sa.UniqueConstraint)
            else ""
        )
        return DistillError(f"{error.message}; {_REBUILD_LATER}{hint}")

    def drop_column(
        self,
        table_name: str,
        column: sa.Column[Any] | str,
        *,
        schema: str | None = None,
        if_exists: bool = False,
    ) -> None:
        """DROP COLUMN (SQLite >= 3.35), with SQLite's refusals explained."""
        name = column if isinstance(column, str) else column.name
        label = f"{schema + '.' if schema else ''}{table_name}.{name}"
        if not self.can_drop_column:
            version = ".".join(map(str, self.dialect.server_version_info or ()))
            raise DistillError(
                f"drop_column: SQLite {version} has no ALTER TABLE DROP COLUMN (it arrived "
                f"in 3.35), so {label} cannot be dropped in place; {_REBUILD_LATER}"
            )
        try:
            super().drop_column(table_name, name, schema=schema, if_exists=if_exists)
        except Exception as error:
            reason = _refusal(error)
            if reason is None:
                raise
            raise DistillError(
                f"drop_column: SQLite refused to drop {label} ({reason}); SQLite cannot drop "
                "a column that is part of a primary key, a UNIQUE constraint, an index or a "
                "table CHECK. Drop the index first if that is the reason; otherwise "
                f"{_REBUILD_LATER}"
            ) from error


def _refusal(error: BaseException) -> str | None:
    """SQLite's reason for refusing DROP COLUMN, found anywhere in the exception chain."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa.exc.DBAPIError):
            message = str(current.orig)
            if message.startswith("cannot drop") or "after drop column" in message:
                return message
        current = current.__cause__ or current.__context__
    return None
