"""Migration directives as data: one small frozen dataclass per op, each knowing its reverse.

Constructors keep Alembic's signatures (and class names), so code written against
`alembic.operations.ops` builds the same objects here. The `_reverse` fields hold the op
being undone when it is known (autogenerate sets them); that is what makes dropping a
table, column or index reversible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import sqlalchemy as sa
from sqlalchemy.sql.base import _NoneName
from sqlalchemy.sql.elements import ColumnElement, TextClause, conv
from sqlalchemy.sql.schema import SchemaItem

from distill.dialects.base import ColumnAlteration, sorted_constraints
from distill.errors import DistillError
from distill.operations.base import (
    IndexColumn,
    SupportsOpts,
    attach,
    build_exclude_constraint,
    build_foreign_key,
    build_generic_constraint,
    build_index,
    build_table,
    metadata_for,
    rebind,
    stand_in_table,
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


# --- tables, columns and comments ---


@dataclass(frozen=True, eq=False, init=False)
class RenameTableOp(AlterTableOp):
    """ALTER TABLE ... RENAME TO."""

    new_table_name: str

    def __init__(
        self, old_table_name: str, new_table_name: str, *, schema: str | None = None
    ) -> None:
        self._init(table_name=old_table_name, schema=schema, new_table_name=new_table_name)

    def reverse(self) -> RenameTableOp:
        """Rename the table back."""
        return RenameTableOp(self.new_table_name, self.table_name, schema=self.schema)

    def describe(self) -> str:
        """One line saying what the op does."""
        return f"Rename table {_qualified(self.table_name, self.schema)} to {self.new_table_name}"


@dataclass(frozen=True, eq=False, init=False)
class AlterColumnOp(AlterTableOp):
    """ALTER COLUMN: type, nullability, server default, name, comment (and dialect options).

    `modify_*` say what changes, `existing_*` what the column was. As in Alembic, False
    means "not changing" (or "unknown") for server defaults and comments, None elsewhere.
    """

    column_name: str
    existing_type: Any
    existing_server_default: Any
    existing_nullable: bool | None
    existing_comment: str | None
    modify_nullable: bool | None
    modify_comment: str | Literal[False] | None
    modify_server_default: Any
    modify_name: str | None
    modify_type: Any
    kw: dict[str, Any]

    def __init__(
        self,
        table_name: str,
        column_name: str,
        *,
        schema: str | None = None,
        existing_type: Any | None = None,
        existing_server_default: Any = False,
        existing_nullable: bool | None = None,
        existing_comment: str | None = None,
        modify_nullable: bool | None = None,
        modify_comment: str | Literal[False] | None = False,
        modify_server_default: Any = False,
        modify_name: str | None = None,
        modify_type: Any | None = None,
        **kw: Any,
    ) -> None:
        self._init(
            table_name=table_name,
            schema=schema,
            column_name=column_name,
            existing_type=existing_type,
            existing_server_default=existing_server_default,
            existing_nullable=existing_nullable,
            existing_comment=existing_comment,
            modify_nullable=modify_nullable,
            modify_comment=modify_comment,
            modify_server_default=modify_server_default,
            modify_name=modify_name,
            modify_type=modify_type,
            kw=kw,
        )

    def to_alteration(self) -> ColumnAlteration:
        """The change as the dialect impls take it."""
        kw = dict(self.kw)
        autoincrement = kw.pop("modify_autoincrement", kw.pop("autoincrement", None))
        existing_autoincrement = kw.pop("existing_autoincrement", None)
        return ColumnAlteration(
            self.table_name,
            self.column_name,
            schema=self.schema,
            nullable=self.modify_nullable,
            server_default=self.modify_server_default,
            new_column_name=self.modify_name,
            type_=_type_instance(self.modify_type),
            comment=self.modify_comment,
            autoincrement=autoincrement,
            existing_type=_type_instance(self.existing_type),
            existing_server_default=self.existing_server_default,
            existing_nullable=self.existing_nullable,
            existing_comment=self.existing_comment,
            existing_autoincrement=existing_autoincrement,
            kw=kw,
        )

    def has_changes(self) -> bool:
        """True when the op changes anything at all."""
        return (
            self.modify_nullable is not None
            or self.modify_server_default is not False
            or self.modify_type is not None
            or self.modify_comment is not False
            or self.modify_name is not None
            or any(key.startswith("modify_") for key in self.kw)
        )

    def reverse(self) -> AlterColumnOp:
        """The alteration that puts the column back as the existing_* arguments describe it."""
        missing = [
            what
            for what, changed, known in (
                ("existing_type", self.modify_type is not None, self.existing_type is not None),
                (
                    "existing_server_default",
                    self.modify_server_default is not False,
                    self.existing_server_default is not False,
                ),
            )
            if changed and not known
        ]
        if missing:
            raise NotReversible(
                f"{self.describe()}: the column's previous {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} unknown, so the change cannot be "
                f"undone; pass {', '.join(f'{m}=' for m in missing)} or write the downgrade "
                "by hand"
            )
        kw = dict(self.kw)
        kw.pop("postgresql_using", None)  # converts to the new type, not back
        for key in list(kw):
            if key.startswith("modify_"):
                attribute = key[len("modify_") :]
                kw[key], kw[f"existing_{attribute}"] = kw.get(f"existing_{attribute}"), kw[key]
        if "autoincrement" in kw:  # Alembic's spelling of modify_autoincrement
            kw["autoincrement"], kw["existing_autoincrement"] = (
                kw.get("existing_autoincrement"),
                kw["autoincrement"],
            )
        nullable = self.modify_nullable
        return AlterColumnOp(
            self.table_name,
            self.modify_name or self.column_name,
            schema=self.schema,
            existing_type=self.modify_type if self.modify_type is not None else self.existing_type,
            existing_server_default=(
                self.modify_server_default
                if self.modify_server_default is not False
                else self.existing_server_default
            ),
            existing_nullable=nullable if nullable is not None else self.existing_nullable,
            existing_comment=(
                self.modify_comment if self.modify_comment is not False else self.existing_comment
            ),
            modify_nullable=(
                None
                if nullable is None
                else (
                    self.existing_nullable if self.existing_nullable is not None else not nullable
                )
            ),
            modify_comment=self.existing_comment if self.modify_comment is not False else False,
            modify_server_default=(
                self.existing_server_default if self.modify_server_default is not False else False
            ),
            modify_name=self.column_name if self.modify_name is not None else None,
            modify_type=self.existing_type if self.modify_type is not None else None,
            **kw,
        )

    def describe(self) -> str:
        """One line saying what the op does."""
        changes: list[str] = []
        if self.modify_type is not None:
            changes.append(f"type {_type_instance(self.modify_type)}")
        if self.modify_nullable is not None:
            changes.append("nullable" if self.modify_nullable else "not nullable")
        if self.modify_server_default is not False:
            changes.append(
                "drop default"
                if self.modify_server_default is None
                else f"default {_default_text(self.modify_server_default)}"
            )
        if self.modify_comment is not False:
            changes.append("drop comment" if self.modify_comment is None else "comment")
        if self.modify_name is not None:
            changes.append(f"rename to {self.modify_name}")
        table = _qualified(self.table_name, self.schema)
        return f"Alter column {self.column_name} on {table}" + (
            f": {', '.join(changes)}" if changes else ""
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form: a list of modify_* tuples."""
        where = (self.schema, self.table_name, self.column_name)
        existing = {
            "existing_type": self.existing_type,
            "existing_server_default": self.existing_server_default,
            "existing_nullable": self.existing_nullable,
            "existing_comment": self.existing_comment,
        }
        diffs: list[tuple[Any, ...]] = []
        for kind, key, old, new, changed in (
            ("modify_type", "existing_type", self.existing_type, self.modify_type,
             self.modify_type is not None),
            ("modify_nullable", "existing_nullable", self.existing_nullable,
             self.modify_nullable, self.modify_nullable is not None),
            ("modify_default", "existing_server_default", self.existing_server_default,
             self.modify_server_default, self.modify_server_default is not False),
            ("modify_comment", "existing_comment", self.existing_comment,
             self.modify_comment, self.modify_comment is not False),
        ):  # fmt: skip
            if changed:
                others = {k: v for k, v in existing.items() if k != key}
                diffs.append((kind, *where, others, old, new))
        return tuple(diffs)


def _type_instance(type_: Any) -> Any:
    """A TypeEngine instance for a type given as a class (sa.String) or instance."""
    return None if type_ is None else sa.types.to_instance(type_)


def _default_text(default: Any) -> str:
    text = getattr(default, "text", None)
    return repr(default) if text is None else str(text)


@dataclass(frozen=True, eq=False, init=False)
class CreateTableCommentOp(AlterTableOp):
    """COMMENT ON TABLE (ALTER TABLE ... COMMENT on MySQL)."""

    comment: str | None
    existing_comment: str | None

    def __init__(
        self,
        table_name: str,
        comment: str | None,
        *,
        schema: str | None = None,
        existing_comment: str | None = None,
    ) -> None:
        self._init(
            table_name=table_name,
            schema=schema,
            comment=comment,
            existing_comment=existing_comment,
        )

    def to_table(self, migration_context: SupportsOpts | None = None) -> sa.Table:
        """A stand-in Table carrying the new comment."""
        return sa.Table(
            self.table_name,
            metadata_for(migration_context),
            schema=self.schema,
            comment=self.comment,
        )

    def reverse(self) -> CreateTableCommentOp | DropTableCommentOp:
        """Put back the previous comment (remove it when there was none)."""
        if self.existing_comment is None:
            return DropTableCommentOp(
                self.table_name, schema=self.schema, existing_comment=self.comment
            )
        return CreateTableCommentOp(
            self.table_name,
            self.existing_comment,
            schema=self.schema,
            existing_comment=self.comment,
        )

    def describe(self) -> str:
        """One line saying what the op does."""
        return f"Set comment on table {_qualified(self.table_name, self.schema)}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("add_table_comment", self.to_table(), self.existing_comment)


@dataclass(frozen=True, eq=False, init=False)
class DropTableCommentOp(AlterTableOp):
    """Remove a table's comment."""

    existing_comment: str | None

    def __init__(
        self,
        table_name: str,
        *,
        schema: str | None = None,
        existing_comment: str | None = None,
    ) -> None:
        self._init(table_name=table_name, schema=schema, existing_comment=existing_comment)

    def to_table(self, migration_context: SupportsOpts | None = None) -> sa.Table:
        """A stand-in Table named like the real one."""
        return sa.Table(self.table_name, metadata_for(migration_context), schema=self.schema)

    def reverse(self) -> CreateTableCommentOp:
        """Put the previous comment back, if it is known."""
        if self.existing_comment is None:
            raise NotReversible(
                f"{self.describe()}: the previous comment is unknown; pass "
                "existing_comment= or write the downgrade by hand"
            )
        return CreateTableCommentOp(self.table_name, self.existing_comment, schema=self.schema)

    def describe(self) -> str:
        """One line saying what the op does."""
        return f"Drop comment on table {_qualified(self.table_name, self.schema)}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("remove_table_comment", self.to_table())


# --- constraints ---


class AddConstraintOp(MigrateOperation):
    """Base of the ops that add a constraint to an existing table."""

    constraint_type: ClassVar[str] = ""
    # which op class builds itself from which kind of SQLAlchemy constraint
    _by_constraint_class: ClassVar[dict[type[sa.Constraint], type[AddConstraintOp]]] = {}

    if TYPE_CHECKING:
        constraint_name: str | None
        table_name: str
        schema: str | None

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        kind = cls.__dict__.get("_constraint_class")
        if kind is not None:
            AddConstraintOp._by_constraint_class[kind] = cls

    @classmethod
    def from_constraint(cls, constraint: sa.Constraint) -> AddConstraintOp:
        """The op that adds `constraint` (which must belong to a Table)."""
        if type(constraint).__name__ == "ExcludeConstraint":  # PostgreSQL's, loaded lazily
            return CreateExcludeConstraintOp.build_from(constraint)
        for klass in type(constraint).__mro__:
            builder = AddConstraintOp._by_constraint_class.get(klass)
            if builder is not None:
                return builder.build_from(constraint)
        raise DistillError(
            f"no operation adds a {type(constraint).__name__}; use op.execute() with its SQL"
        )

    @classmethod
    def build_from(cls, constraint: sa.Constraint) -> AddConstraintOp:
        """This op built from a SQLAlchemy constraint of its kind."""
        raise NotImplementedError(f"{cls.__name__} cannot be built from a constraint")

    def to_constraint(self, migration_context: SupportsOpts | None = None) -> sa.Constraint:
        """The constraint on a stand-in table, named by the configured convention."""
        raise NotImplementedError

    def reverse(self) -> DropConstraintOp:
        """Drop the constraint again (by the name it was given or the convention gives)."""
        return DropConstraintOp(
            self.constraint_name,
            self.table_name,
            type_=_DROP_TYPES.get(self.constraint_type),
            schema=self.schema,
            _reverse=self,
        )

    def describe(self) -> str:
        """One line saying what the op does."""
        kind = self.constraint_type or "constraint"
        name = self.constraint_name or "(unnamed)"
        return f"Create {kind} constraint {name} on {_qualified(self.table_name, self.schema)}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("add_constraint", self.to_constraint())


def _table_of(constraint: sa.Constraint) -> sa.Table:
    table = getattr(constraint, "parent", None)
    if not isinstance(table, sa.Table):
        raise DistillError(
            f"constraint {constraint.name!r} belongs to no table; attach it to a Table first"
        )
    return table


def _final_name(name: Any) -> str | None:
    """A constraint's name as given, None when the convention is still to name it."""
    if name is None or isinstance(name, _NoneName):
        return None
    return str(name) if not isinstance(name, conv) else name


@dataclass(frozen=True, eq=False, init=False)
class CreateUniqueConstraintOp(AddConstraintOp):
    """ALTER TABLE ... ADD CONSTRAINT ... UNIQUE."""

    constraint_type: ClassVar[str] = "unique"
    _constraint_class: ClassVar[type[sa.Constraint]] = sa.UniqueConstraint

    constraint_name: str | None
    table_name: str
    columns: tuple[str, ...]
    schema: str | None
    kw: dict[str, Any]

    def __init__(
        self,
        constraint_name: str | None,
        table_name: str,
        columns: Sequence[str],
        *,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        self._init(
            constraint_name=constraint_name,
            table_name=table_name,
            columns=tuple([columns] if isinstance(columns, str) else columns),
            schema=schema,
            kw=kw,
        )

    @classmethod
    def build_from(cls, constraint: sa.Constraint) -> CreateUniqueConstraintOp:
        table = _table_of(constraint)
        assert isinstance(constraint, sa.UniqueConstraint)
        kw: dict[str, Any] = dict(constraint.dialect_kwargs)
        if constraint.deferrable:
            kw["deferrable"] = constraint.deferrable
        if constraint.initially:
            kw["initially"] = constraint.initially
        return cls(
            _final_name(constraint.name),
            table.name,
            [column.name for column in constraint.columns],
            schema=table.schema,
            **kw,
        )

    def to_constraint(self, migration_context: SupportsOpts | None = None) -> sa.Constraint:
        """The UniqueConstraint on a stand-in table."""
        table = stand_in_table(
            metadata_for(migration_context), self.table_name, self.schema, self.columns
        )
        return attach(
            sa.UniqueConstraint(*self.columns, name=self.constraint_name, **self.kw), table
        )

    def describe(self) -> str:
        """One line saying what the op does."""
        return f"{super().describe()} ({', '.join(self.columns)})"


@dataclass(frozen=True, eq=False, init=False)
class CreatePrimaryKeyOp(AddConstraintOp):
    """ALTER TABLE ... ADD CONSTRAINT ... PRIMARY KEY."""

    constraint_type: ClassVar[str] = "primarykey"
    _constraint_class: ClassVar[type[sa.Constraint]] = sa.PrimaryKeyConstraint

    constraint_name: str | None
    table_name: str
    columns: tuple[str, ...]
    schema: str | None
    kw: dict[str, Any]

    def __init__(
        self,
        constraint_name: str | None,
        table_name: str,
        columns: Sequence[str],
        *,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        self._init(
            constraint_name=constraint_name,
            table_name=table_name,
            columns=tuple([columns] if isinstance(columns, str) else columns),
            schema=schema,
            kw=kw,
        )

    @classmethod
    def build_from(cls, constraint: sa.Constraint) -> CreatePrimaryKeyOp:
        table = _table_of(constraint)
        assert isinstance(constraint, sa.PrimaryKeyConstraint)
        return cls(
            _final_name(constraint.name),
            table.name,
            [column.name for column in constraint.columns],
            schema=table.schema,
            **constraint.dialect_kwargs,
        )

    def to_constraint(self, migration_context: SupportsOpts | None = None) -> sa.Constraint:
        """The PrimaryKeyConstraint on a stand-in table."""
        table = stand_in_table(
            metadata_for(migration_context), self.table_name, self.schema, self.columns
        )
        constraint = sa.PrimaryKeyConstraint(*self.columns, name=self.constraint_name, **self.kw)
        return attach(constraint, table)

    def describe(self) -> str:
        """One line saying what the op does."""
        return (
            f"Create primary key {self.constraint_name or '(unnamed)'} on "
            f"{_qualified(self.table_name, self.schema)} ({', '.join(self.columns)})"
        )


@dataclass(frozen=True, eq=False, init=False)
class CreateCheckConstraintOp(AddConstraintOp):
    """ALTER TABLE ... ADD CONSTRAINT ... CHECK."""

    constraint_type: ClassVar[str] = "check"
    _constraint_class: ClassVar[type[sa.Constraint]] = sa.CheckConstraint

    constraint_name: str | None
    table_name: str
    condition: Any
    schema: str | None
    kw: dict[str, Any]

    def __init__(
        self,
        constraint_name: str | None,
        table_name: str,
        condition: str | TextClause | ColumnElement[Any],
        *,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        self._init(
            constraint_name=constraint_name,
            table_name=table_name,
            condition=condition,
            schema=schema,
            kw=kw,
        )

    @classmethod
    def build_from(cls, constraint: sa.Constraint) -> CreateCheckConstraintOp:
        table = _table_of(constraint)
        assert isinstance(constraint, sa.CheckConstraint)
        return cls(
            _final_name(constraint.name),
            table.name,
            constraint.sqltext,
            schema=table.schema,
            **constraint.dialect_kwargs,
        )

    def to_constraint(self, migration_context: SupportsOpts | None = None) -> sa.Constraint:
        """The CheckConstraint on a stand-in table."""
        table = stand_in_table(metadata_for(migration_context), self.table_name, self.schema)
        condition = self.condition
        if isinstance(condition, ColumnElement):
            condition = rebind(condition, table)
        constraint = sa.CheckConstraint(condition, name=self.constraint_name, **self.kw)
        return attach(constraint, table)

    def describe(self) -> str:
        """One line saying what the op does."""
        return f"{super().describe()}: {' '.join(_sql_text(self.condition).split())}"


@dataclass(frozen=True, eq=False, init=False)
class CreateForeignKeyOp(AddConstraintOp):
    """ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY ... REFERENCES."""

    constraint_type: ClassVar[str] = "foreignkey"
    _constraint_class: ClassVar[type[sa.Constraint]] = sa.ForeignKeyConstraint

    constraint_name: str | None
    source_table: str
    referent_table: str
    local_cols: list[str]
    remote_cols: list[str]
    kw: dict[str, Any]

    def __init__(
        self,
        constraint_name: str | None,
        source_table: str,
        referent_table: str,
        local_cols: list[str],
        remote_cols: list[str],
        **kw: Any,
    ) -> None:
        self._init(
            constraint_name=constraint_name,
            source_table=source_table,
            referent_table=referent_table,
            local_cols=list(local_cols),
            remote_cols=list(remote_cols),
            kw=kw,
        )

    @property
    def table_name(self) -> str:  # type: ignore[override]
        """The table holding the foreign key."""
        return self.source_table

    @property
    def schema(self) -> str | None:  # type: ignore[override]
        """The schema of the table holding the foreign key."""
        return self.kw.get("source_schema")

    @classmethod
    def build_from(cls, constraint: sa.Constraint) -> CreateForeignKeyOp:
        table = _table_of(constraint)
        assert isinstance(constraint, sa.ForeignKeyConstraint)
        kw: dict[str, Any] = dict(constraint.dialect_kwargs)
        for option in ("onupdate", "ondelete", "initially", "deferrable", "use_alter", "match"):
            value = getattr(constraint, option)
            if value:
                kw[option] = value
        first = constraint.elements[0]
        prefix = first.target_fullname.rsplit(".", 1)[0]
        referent_schema, _, referent = prefix.rpartition(".")
        return cls(
            _final_name(constraint.name),
            table.name,
            referent,
            [element.parent.name for element in constraint.elements],
            [element.target_fullname.rsplit(".", 1)[1] for element in constraint.elements],
            source_schema=table.schema,
            referent_schema=referent_schema or None,
            **kw,
        )

    def to_constraint(self, migration_context: SupportsOpts | None = None) -> sa.Constraint:
        """The ForeignKeyConstraint between stand-in tables."""
        return build_foreign_key(
            metadata_for(migration_context),
            self.constraint_name,
            self.source_table,
            self.referent_table,
            self.local_cols,
            self.remote_cols,
            **self.kw,
        )

    def describe(self) -> str:
        """One line saying what the op does."""
        referent = _qualified(self.referent_table, self.kw.get("referent_schema"))
        return (
            f"Create foreign key {self.constraint_name or '(unnamed)'} on "
            f"{_qualified(self.source_table, self.schema)} ({', '.join(self.local_cols)}) "
            f"-> {referent} ({', '.join(self.remote_cols)})"
        )

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("add_fk", self.to_constraint())


@dataclass(frozen=True, eq=False, init=False)
class CreateExcludeConstraintOp(AddConstraintOp):
    """ALTER TABLE ... ADD CONSTRAINT ... EXCLUDE (PostgreSQL)."""

    constraint_type: ClassVar[str] = "exclude"

    constraint_name: str | None
    table_name: str
    elements: tuple[tuple[Any, str], ...]
    where: Any
    schema: str | None
    _orig_constraint: sa.Constraint | None
    kw: dict[str, Any]

    def __init__(
        self,
        constraint_name: str | None,
        table_name: str,
        elements: Sequence[tuple[Any, str]],
        where: Any = None,
        schema: str | None = None,
        _orig_constraint: sa.Constraint | None = None,
        **kw: Any,
    ) -> None:
        self._init(
            constraint_name=constraint_name,
            table_name=table_name,
            elements=tuple(tuple(element) for element in elements),
            where=where,
            schema=schema,
            _orig_constraint=_orig_constraint,
            kw=kw,
        )

    def to_constraint(self, migration_context: SupportsOpts | None = None) -> sa.Constraint:
        """The ExcludeConstraint on a stand-in table."""
        return build_exclude_constraint(
            metadata_for(migration_context),
            self.constraint_name,
            self.table_name,
            self.elements,
            where=self.where,
            schema=self.schema,
            **self.kw,
        )

    @classmethod
    def build_from(cls, constraint: sa.Constraint) -> CreateExcludeConstraintOp:
        table = _table_of(constraint)
        exprs = getattr(constraint, "_render_exprs", ())
        kw: dict[str, Any] = dict(constraint.dialect_kwargs)
        for option in ("using", "deferrable", "initially", "ops"):
            value = getattr(constraint, option, None)
            if value:
                kw[option] = value
        return cls(
            _final_name(constraint.name),
            table.name,
            [(expr, operator) for expr, _, operator in exprs],
            where=getattr(constraint, "where", None),
            schema=table.schema,
            _orig_constraint=constraint,
            **kw,
        )

    def reverse(self) -> DropConstraintOp:
        """Drop the constraint again."""
        return DropConstraintOp(
            self.constraint_name, self.table_name, schema=self.schema, _reverse=self
        )

    def describe(self) -> str:
        """One line saying what the op does."""
        table = _qualified(self.table_name, self.schema)
        return f"Create exclude constraint {self.constraint_name or '(unnamed)'} on {table}"


# drop_constraint's type_ for each kind of constraint an op adds
_DROP_TYPES = {
    "unique": "unique",
    "primarykey": "primary",
    "check": "check",
    "foreignkey": "foreignkey",
}


@dataclass(frozen=True, eq=False, init=False)
class DropConstraintOp(MigrateOperation):
    """ALTER TABLE ... DROP CONSTRAINT; reversible when the dropped constraint is known."""

    constraint_name: str | None
    table_name: str
    constraint_type: str | None
    schema: str | None
    if_exists: bool | None
    _reverse: AddConstraintOp | None

    def __init__(
        self,
        constraint_name: str | None,
        table_name: str,
        type_: str | None = None,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        _reverse: AddConstraintOp | None = None,
    ) -> None:
        self._init(
            constraint_name=constraint_name,
            table_name=table_name,
            constraint_type=type_,
            schema=schema,
            if_exists=if_exists,
            _reverse=_reverse,
        )

    @classmethod
    def from_constraint(cls, constraint: sa.Constraint) -> DropConstraintOp:
        """The op that drops `constraint`, remembering it so that the drop can be reversed."""
        add = AddConstraintOp.from_constraint(constraint)
        table = _table_of(constraint)
        return cls(
            _final_name(constraint.name),
            table.name,
            type_=_DROP_TYPES.get(add.constraint_type),
            schema=table.schema,
            _reverse=add,
        )

    def to_constraint(self, migration_context: SupportsOpts | None = None) -> sa.Constraint:
        """The constraint to drop, named as the convention names it (kind from type_)."""
        if self._reverse is not None:
            constraint = self._reverse.to_constraint(migration_context)
            if self.constraint_name not in (None, self._reverse.constraint_name):
                constraint.name = self.constraint_name
            return constraint
        return build_generic_constraint(
            metadata_for(migration_context),
            self.constraint_name,
            self.table_name,
            self.constraint_type,
            schema=self.schema,
        )

    def reverse(self) -> AddConstraintOp:
        """Add the constraint again, if its definition is known."""
        if self._reverse is None:
            raise NotReversible(
                f"{self.describe()}: the constraint's definition is unknown, so it cannot "
                "be re-created; write the downgrade's create_*() call by hand"
            )
        return self._reverse

    def describe(self) -> str:
        """One line saying what the op does."""
        kind = f"{self.constraint_type} " if self.constraint_type else ""
        table = _qualified(self.table_name, self.schema)
        return f"Drop {kind}constraint {self.constraint_name or '(unnamed)'} on {table}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        kind = "remove_fk" if self.constraint_type == "foreignkey" else "remove_constraint"
        return (kind, self.to_constraint())
