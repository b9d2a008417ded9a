"""Ops on one column: add, drop, alter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from distill.dialects.alteration import ColumnAlteration
from distill.operations.ops.base import AlterTableOp, NotReversible, qualified_name
from distill.operations.schema_objects import SupportsOpts


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
        return f"Add column {self.column.name} to {qualified_name(self.table_name, self.schema)}"

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
        return f"Drop column {self.column_name} from {qualified_name(self.table_name, self.schema)}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """Alembic's autogenerate diff form of the op."""
        return ("remove_column", self.schema, self.table_name, self.to_column())


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
        table = qualified_name(self.table_name, self.schema)
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
