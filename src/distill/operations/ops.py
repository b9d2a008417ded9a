"""Migration directives as data: one small frozen dataclass per op, each knowing its reverse.

Constructors keep Alembic's signatures (and class names), so code written against
`alembic.operations.ops` builds the same objects here. The `_reverse` fields hold the op
being undone when it is known (autogenerate sets them); that is what makes dropping a
table, column or index reversible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.schema import SchemaItem

from distill.dialects.base import sorted_constraints
from distill.errors import DistillError
from distill.operations.base import (
    IndexColumn,
    SupportsOpts,
    build_index,
    build_table,
    metadata_for,
)


class NotReversible(DistillError, NotImplementedError):
    """An op whose reverse cannot be derived from what it holds."""


class MigrateOperation:
    """Base of every directive; third-party operations subclass it, as with Alembic."""

    def reverse(self) -> MigrateOperation:
        """The op that undoes this one."""
        raise NotReversible(
            f"{self.describe()}: this operation has no automatic reverse; "
            "write the downgrade step by hand"
        )

    def describe(self) -> str:
        """One line saying what the op does."""
        return type(self).__name__

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        raise NotImplementedError(f"{type(self).__name__} has no diff tuple")

    def _init(self, **values: Any) -> None:
        """Set fields on a frozen instance (the constructors keep Alembic's signatures)."""
        for name, value in values.items():
            object.__setattr__(self, name, value)


def _qualified(table_name: str | None, schema: str | None) -> str:
    return f"{schema}.{table_name}" if schema else str(table_name)


def _sql_text(element: Any) -> str:
    return element if isinstance(element, str) else str(element)


@dataclass(frozen=True, eq=False, init=False)
class AlterTableOp(MigrateOperation):
    """Base of the ops that change one existing table."""

    table_name: str
    schema: str | None

    def __init__(self, table_name: str, *, schema: str | None = None) -> None:
        self._init(table_name=table_name, schema=schema)


@dataclass(frozen=True, eq=False, init=False)
class CreateTableOp(MigrateOperation):
    """CREATE TABLE from columns, constraints and indexes."""

    table_name: str
    columns: tuple[SchemaItem, ...]
    schema: str | None
    if_not_exists: bool | None
    comment: str | None
    info: dict[Any, Any]  # the table's info dict, as in Alembic
    prefixes: tuple[str, ...]
    kw: dict[str, Any]
    _namespace_metadata: sa.MetaData | None
    _constraints_included: bool

    def __init__(
        self,
        table_name: str,
        columns: Sequence[SchemaItem],
        *,
        schema: str | None = None,
        if_not_exists: bool | None = None,
        _namespace_metadata: sa.MetaData | None = None,
        _constraints_included: bool = False,
        **kw: Any,
    ) -> None:
        self._init(
            table_name=table_name,
            columns=tuple(columns),
            schema=schema,
            if_not_exists=if_not_exists,
            comment=kw.pop("comment", None),
            info=dict(kw.pop("info", None) or {}),
            prefixes=tuple(kw.pop("prefixes", None) or ()),
            kw=kw,
            _namespace_metadata=_namespace_metadata,
            _constraints_included=_constraints_included,
        )

    @classmethod
    def from_table(
        cls, table: sa.Table, *, _namespace_metadata: sa.MetaData | None = None
    ) -> CreateTableOp:
        """The op that creates `table` (its columns and constraints; indexes are separate)."""
        return cls(
            table.name,
            [*table.columns, *sorted_constraints(table)],
            schema=table.schema,
            _namespace_metadata=_namespace_metadata or table.metadata,
            _constraints_included=True,
            comment=table.comment,
            info=dict(table.info),
            prefixes=list(table._prefixes),
            **table.kwargs,
        )

    def to_table(self, migration_context: SupportsOpts | None = None) -> sa.Table:
        """The Table this op creates, named by the configured naming convention."""
        return build_table(
            metadata_for(migration_context),
            self.table_name,
            self.columns,
            schema=self.schema,
            constraints_included=self._constraints_included,
            comment=self.comment,
            info=dict(self.info),
            prefixes=list(self.prefixes),
            **self.kw,
        )

    def reverse(self) -> DropTableOp:
        """Drop the table again."""
        return DropTableOp.from_table(self.to_table(), _namespace_metadata=self._namespace_metadata)

    def describe(self) -> str:
        """One line saying what the op does."""
        return f"Create table {_qualified(self.table_name, self.schema)}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("add_table", self.to_table())


@dataclass(frozen=True, eq=False, init=False)
class DropTableOp(MigrateOperation):
    """DROP TABLE; reversible when the dropped table's definition is known."""

    table_name: str
    schema: str | None
    if_exists: bool | None
    table_kw: dict[str, Any]
    _reverse: CreateTableOp | None

    def __init__(
        self,
        table_name: str,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        table_kw: Mapping[str, Any] | None = None,
        _reverse: CreateTableOp | None = None,
    ) -> None:
        self._init(
            table_name=table_name,
            schema=schema,
            if_exists=if_exists,
            table_kw=dict(table_kw or {}),
            _reverse=_reverse,
        )

    @classmethod
    def from_table(
        cls, table: sa.Table, *, _namespace_metadata: sa.MetaData | None = None
    ) -> DropTableOp:
        """The op that drops `table`, remembering it so that the drop can be reversed."""
        return cls(
            table.name,
            schema=table.schema,
            table_kw={
                "comment": table.comment,
                "info": dict(table.info),
                "prefixes": list(table._prefixes),
                **table.kwargs,
            },
            _reverse=CreateTableOp.from_table(table, _namespace_metadata=_namespace_metadata),
        )

    def to_table(self, migration_context: SupportsOpts | None = None) -> sa.Table:
        """The Table being dropped (just its name unless the definition is known)."""
        table_kw = dict(self.table_kw)
        return build_table(
            metadata_for(migration_context),
            self.table_name,
            self._reverse.columns if self._reverse else (),
            schema=self.schema,
            constraints_included=bool(self._reverse and self._reverse._constraints_included),
            comment=table_kw.pop("comment", None),
            info=dict(table_kw.pop("info", None) or {}),
            prefixes=list(table_kw.pop("prefixes", None) or ()),
            **table_kw,
        )

    def reverse(self) -> CreateTableOp:
        """Create the table again, if its definition is known."""
        if self._reverse is None:
            raise NotReversible(
                f"{self.describe()}: the table's columns are unknown, so it cannot be "
                "re-created; write the downgrade's create_table() by hand"
            )
        return self._reverse

    def describe(self) -> str:
        """One line saying what the op does."""
        return f"Drop table {_qualified(self.table_name, self.schema)}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("remove_table", self.to_table())


@dataclass(frozen=True, eq=False, init=False)
class AddColumnOp(AlterTableOp):
    """ALTER TABLE ... ADD COLUMN, plus the column's foreign keys, indexes and comment."""

    column: sa.Column[Any]
    if_not_exists: bool | None
    inline_references: bool | None
    inline_primary_key: bool | None
    kw: dict[str, Any]

    def __init__(
        self,
        table_name: str,
        column: sa.Column[Any],
        *,
        schema: str | None = None,
        if_not_exists: bool | None = None,
        inline_references: bool | None = None,
        inline_primary_key: bool | None = None,
        **kw: Any,
    ) -> None:
        self._init(
            table_name=table_name,
            schema=schema,
            column=column,
            if_not_exists=if_not_exists,
            inline_references=inline_references,
            inline_primary_key=inline_primary_key,
            kw=kw,
        )

    @classmethod
    def from_column(cls, col: sa.Column[Any]) -> AddColumnOp:
        """The op that adds `col` (which must belong to a Table) to its table."""
        table = col.table
        return cls(table.name, col, schema=table.schema)

    @classmethod
    def from_column_and_tablename(
        cls, schema: str | None, tname: str, col: sa.Column[Any]
    ) -> AddColumnOp:
        """The op that adds `col` to table `tname`."""
        return cls(tname, col, schema=schema)

    def to_column(self) -> sa.Column[Any]:
        """The column being added."""
        return self.column

    def reverse(self) -> DropColumnOp:
        """Drop the column again."""
        return DropColumnOp(self.table_name, self.column.name, schema=self.schema, _reverse=self)

    def describe(self) -> str:
        """One line saying what the op does."""
        return f"Add column {self.column.name} to {_qualified(self.table_name, self.schema)}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("add_column", self.schema, self.table_name, self.column)


@dataclass(frozen=True, eq=False, init=False)
class DropColumnOp(AlterTableOp):
    """ALTER TABLE ... DROP COLUMN; reversible when the dropped column is known."""

    column_name: str
    if_exists: bool | None
    kw: dict[str, Any]
    _reverse: AddColumnOp | None

    def __init__(
        self,
        table_name: str,
        column_name: str,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        _reverse: AddColumnOp | None = None,
        **kw: Any,
    ) -> None:
        self._init(
            table_name=table_name,
            schema=schema,
            column_name=column_name,
            if_exists=if_exists,
            kw=kw,
            _reverse=_reverse,
        )

    @classmethod
    def from_column_and_tablename(
        cls, schema: str | None, tname: str, col: sa.Column[Any]
    ) -> DropColumnOp:
        """The op that drops `col` from table `tname`, remembering the column."""
        return cls(
            tname,
            col.name,
            schema=schema,
            _reverse=AddColumnOp.from_column_and_tablename(schema, tname, col),
        )

    def to_column(self, migration_context: SupportsOpts | None = None) -> sa.Column[Any]:
        """The dropped column: its full definition when known, else just its name."""
        if self._reverse is not None:
            return self._reverse.column
        return sa.Column(self.column_name, sa.types.NULLTYPE)

    def reverse(self) -> AddColumnOp:
        """Add the column back, if its definition is known."""
        if self._reverse is None:
            raise NotReversible(
                f"{self.describe()}: the column's type and options are unknown, so it "
                "cannot be added back; write the downgrade's add_column() by hand"
            )
        return AddColumnOp.from_column_and_tablename(
            self.schema, self.table_name, self._reverse.column
        )

    def describe(self) -> str:
        """One line saying what the op does."""
        return f"Drop column {self.column_name} from {_qualified(self.table_name, self.schema)}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("remove_column", self.schema, self.table_name, self.to_column())


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
        table = _qualified(self.table_name, self.schema)
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
        where = f" on {_qualified(self.table_name, self.schema)}" if self.table_name else ""
        return f"Drop index {self.index_name}{where}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("remove_index", self.to_index())


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
        text = " ".join(_sql_text(self.sqltext).split())
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
        table = _qualified(self.table.name, getattr(self.table, "schema", None))
        return f"Insert {count} row{'' if count == 1 else 's'} into {table}"
