"""Ops creating and dropping indexes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from distill.errors import DistillError
from distill.operations.ops.base import MigrateOperation, NotReversible, qualified_name
from distill.operations.schema_objects import IndexColumn, SupportsOpts, build_index, metadata_for


@dataclass(frozen=True, eq=False, init=False)
class CreateIndexOp(MigrateOperation):
    """CREATE [UNIQUE] INDEX on columns or SQL expressions."""

    index_name: str | None
    table_name: str
    columns: tuple[IndexColumn, ...]
    schema: str | None
    unique: bool
    if_not_exists: bool | None
    kw: dict[str, Any]

    def __init__(
        self,
        index_name: str | None,
        table_name: str,
        columns: Sequence[IndexColumn],
        *,
        schema: str | None = None,
        unique: bool = False,
        if_not_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        if isinstance(columns, str):
            columns = [columns]  # a lone name is a common slip; Alembic would split it
        self._init(
            index_name=index_name,
            table_name=table_name,
            columns=tuple(columns),
            schema=schema,
            unique=unique,
            if_not_exists=if_not_exists,
            kw=kw,
        )

    @classmethod
    def from_index(cls, index: sa.Index) -> CreateIndexOp:
        """The op that creates `index` (which must belong to a Table)."""
        table = index.table
        if table is None:
            raise DistillError(
                f"CreateIndexOp.from_index(): index {index.name!r} belongs to no table; "
                "attach it to a Table first"
            )
        return cls(
            None if index.name is None else str(index.name),
            table.name,
            list(index.expressions),
            schema=table.schema,
            unique=bool(index.unique),
            **index.kwargs,
        )

    def to_index(self, migration_context: SupportsOpts | None = None) -> sa.Index:
        """The Index this op creates, named by the configured naming convention."""
        return build_index(
            metadata_for(migration_context),
            self.index_name,
            self.table_name,
            self.columns,
            schema=self.schema,
            unique=self.unique,
            **self.kw,
        )

    def reverse(self) -> DropIndexOp:
        """Drop the index again."""
        # an unnamed index got its name from the naming convention; drop it by that name
        name = self.index_name if self.index_name is not None else str(self.to_index().name)
        return DropIndexOp(
            name,
            self.table_name,
            schema=self.schema,
            _reverse=self,
            **self.kw,
        )

    def describe(self) -> str:
        """One line saying what the op does."""
        kind = "unique index" if self.unique else "index"
        columns = ", ".join(_column_label(column) for column in self.columns)
        table = qualified_name(self.table_name, self.schema)
        return f"Create {kind} {self.index_name or '(unnamed)'} on {table} ({columns})"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("add_index", self.to_index())


def _column_label(column: IndexColumn) -> str:
    if isinstance(column, str):
        return column
    if isinstance(column, sa.Column):
        return str(column.name)
    return str(column)


@dataclass(frozen=True, eq=False, init=False)
class DropIndexOp(MigrateOperation):
    """DROP INDEX; reversible when the dropped index's definition is known."""

    index_name: str
    table_name: str | None
    schema: str | None
    if_exists: bool | None
    kw: dict[str, Any]
    _reverse: CreateIndexOp | None

    def __init__(
        self,
        index_name: str,
        table_name: str | None = None,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        _reverse: CreateIndexOp | None = None,
        **kw: Any,
    ) -> None:
        self._init(
            index_name=index_name,
            table_name=table_name,
            schema=schema,
            if_exists=if_exists,
            kw=kw,
            _reverse=_reverse,
        )

    @classmethod
    def from_index(cls, index: sa.Index) -> DropIndexOp:
        """The op that drops `index`, remembering it so that the drop can be reversed."""
        create = CreateIndexOp.from_index(index)
        return cls(
            create.index_name or "",
            create.table_name,
            schema=create.schema,
            _reverse=create,
            **create.kw,
        )

    def to_index(self, migration_context: SupportsOpts | None = None) -> sa.Index:
        """The Index being dropped (just its name unless the definition is known)."""
        return build_index(
            metadata_for(migration_context),
            self.index_name,
            self.table_name,
            self._reverse.columns if self._reverse else (),
            schema=self.schema,
            unique=bool(self._reverse and self._reverse.unique),
            **self.kw,
        )

    def reverse(self) -> CreateIndexOp:
        """Create the index again, if its definition is known."""
        if self._reverse is None:
            raise NotReversible(
                f"{self.describe()}: the index's columns are unknown, so it cannot be "
                "re-created; write the downgrade's create_index() by hand"
            )
        return self._reverse

    def describe(self) -> str:
        """One line saying what the op does."""
        where = f" on {qualified_name(self.table_name, self.schema)}" if self.table_name else ""
        return f"Drop index {self.index_name}{where}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("remove_index", self.to_index())
