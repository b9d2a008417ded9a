"""Ops on whole tables: create, drop, rename, and the table comment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.schema import SchemaItem

from distill.dialects.ddl import sorted_constraints
from distill.operations.ops.base import (
    AlterTableOp,
    MigrateOperation,
    NotReversible,
    qualified_name,
)
from distill.operations.schema_objects import SupportsOpts, build_table, metadata_for


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
        return f"Create table {qualified_name(self.table_name, self.schema)}"

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
        return f"Drop table {qualified_name(self.table_name, self.schema)}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("remove_table", self.to_table())


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
        return (
            f"Rename table {qualified_name(self.table_name, self.schema)} to {self.new_table_name}"
        )


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
        return f"Set comment on table {qualified_name(self.table_name, self.schema)}"

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
        return f"Drop comment on table {qualified_name(self.table_name, self.schema)}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("remove_table_comment", self.to_table())
