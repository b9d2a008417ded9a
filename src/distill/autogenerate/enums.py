"""Named ENUM types (PostgreSQL): values added, values changed, types no longer used.

New types need no op of their own: create_table, add_column and alter_column create
the types their columns use. What Alembic leaves out is done here: ALTER TYPE ... ADD
VALUE for appended values, a rebuild of the type for removed or reordered values (rows
holding a removed value make the cast fail, so nothing is lost silently), and DROP TYPE
for a type no model uses any more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from distill.autogenerate.reflect import ReflectedDatabase
from distill.operations.ops import MigrateOperation


@dataclass(frozen=True)
class EnumUse:
    """A column whose type is the enum (or an array of it), with its default text."""

    schema: str | None
    table: str
    column: str
    is_array: bool
    default: str | None


class EnumChangeOp(MigrateOperation):
    """Create, change the values of, or drop a named ENUM type, as SQL statements."""

    def __init__(
        self,
        name: str,
        schema: str | None,
        old_labels: Sequence[str] | None,
        new_labels: Sequence[str] | None,
        uses: Sequence[EnumUse] = (),
        *,
        implicit: bool = False,
        reverse_implicit: bool = False,
        dialect: Dialect | None = None,
    ) -> None:
        self.name = name
        self.schema = schema
        self.old_labels = None if old_labels is None else tuple(old_labels)
        self.new_labels = None if new_labels is None else tuple(new_labels)
        self.uses = tuple(uses)
        # implicit: the column ops around it do this (create_table makes the type)
        self.implicit = implicit
        self.reverse_implicit = reverse_implicit
        self.dialect = dialect

    def reverse(self) -> EnumChangeOp:
        """The change back."""
        return EnumChangeOp(
            self.name,
            self.schema,
            self.new_labels,
            self.old_labels,
            self.uses,
            implicit=self.reverse_implicit,
            reverse_implicit=self.implicit,
            dialect=self.dialect,
        )

    def describe(self) -> str:
        """One line saying what the op does."""
        if self.old_labels is None:
            return f"Create enum type {self.name}"
        if self.new_labels is None:
            return f"Drop enum type {self.name}"
        old, new = list(self.old_labels), list(self.new_labels)
        return f"Change values of enum type {self.name}: {old} -> {new}"

    def to_diff_tuple(self) -> tuple[Any, ...]:
        """A diff tuple in Alembic's style (Alembic itself has none for enums)."""
        if self.old_labels is None:
            return ("add_enum", self.schema, self.name, self.new_labels)
        if self.new_labels is None:
            return ("remove_enum", self.schema, self.name, self.old_labels)
        return ("modify_enum", self.schema, self.name, self.old_labels, self.new_labels)

    @property
    def loses_values(self) -> bool:
        """True when values are removed (rows holding them stop the migration)."""
        return bool(
            self.old_labels
            and self.new_labels is not None
            and set(self.old_labels) - set(self.new_labels)
        )

    def statements(self) -> list[str]:
        """The SQL that carries the change out."""
        quote = _quoter(self.dialect)
        name = quote(self.name, self.schema)
        if self.implicit or (self.old_labels is None and self.new_labels is None):
            return []
        if self.new_labels is None:
            return [f"DROP TYPE {name}"]
        labels = ", ".join(_literal(label) for label in self.new_labels)
        if self.old_labels is None:
            return [f"CREATE TYPE {name} AS ENUM ({labels})"]
        if _appended_in_order(self.old_labels, self.new_labels):
            return _add_values(name, self.old_labels, self.new_labels)
        old_name = f"{self.name}_old"
        statements = [
            f"ALTER TYPE {name} RENAME TO {quote(old_name, None)}",
            f"CREATE TYPE {name} AS ENUM ({labels})",
        ]
        for use in self.uses:
            table = quote(use.table, use.schema)
            column = quote(use.column, None)
            target = f"{name}[]" if use.is_array else name
            via = "text[]" if use.is_array else "text"
            if use.default is not None:
                statements.append(f"ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT")
            statements.append(
                f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {target} "
                f"USING {column}::{via}::{target}"
            )
            if use.default is not None:
                default = use.default.split("::")[0]
                statements.append(
                    f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {default}::{name}"
                )
        statements.append(f"DROP TYPE {quote(old_name, self.schema)}")
        return statements


def _quoter(dialect: Dialect | None) -> Any:
    from sqlalchemy.engine.default import DefaultDialect

    preparer = (dialect or DefaultDialect()).identifier_preparer

    def quote(name: str, schema: str | None) -> str:
        quoted = preparer.quote(name)
        return f"{preparer.quote_schema(schema)}.{quoted}" if schema else quoted

    return quote


def _literal(label: str) -> str:
    return "'" + label.replace("'", "''") + "'"


def _appended_in_order(old: Sequence[str], new: Sequence[str]) -> bool:
    """True when `new` is `old` with values inserted, none removed or moved."""
    kept = [label for label in new if label in old]
    return kept == list(old) and len(new) > len(old)


def _add_values(name: str, old: Sequence[str], new: Sequence[str]) -> list[str]:
    statements = []
    present = list(old)
    for position, label in enumerate(new):
        if label in present:
            continue
        after = new[position - 1] if position > 0 else None
        if after is not None:
            statements.append(
                f"ALTER TYPE {name} ADD VALUE {_literal(label)} AFTER {_literal(after)}"
            )
        else:
            statements.append(
                f"ALTER TYPE {name} ADD VALUE {_literal(label)} BEFORE {_literal(present[0])}"
            )
        present.insert(present.index(after) + 1 if after is not None else 0, label)
    return statements


def model_enums(
    tables: Sequence[sa.Table], dialect: Dialect, default_schema: str | None
) -> dict[tuple[str | None, str], tuple[str, ...]]:
    """The named native enum types the model's columns use, with their values."""
    found: dict[tuple[str | None, str], tuple[str, ...]] = {}
    for table in tables:
        for column in table.columns:
            type_ = column.type.item_type if isinstance(column.type, sa.ARRAY) else column.type
            if isinstance(type_, sa.TypeDecorator):
                type_ = type_.impl_instance
            if not isinstance(type_, sa.Enum) or not type_.native_enum or not type_.name:
                continue
            schema = type_.schema or table.schema
            schema = None if schema == default_schema else schema
            found.setdefault((schema, str(type_.name)), tuple(type_.enums))
    return found


def enum_uses(database: ReflectedDatabase, schema: str | None, name: str) -> list[EnumUse]:
    """The reflected columns whose type is the enum `name`."""
    uses = []
    for table in database.tables.values():
        for column in table.columns:
            type_ = column.type
            is_array = isinstance(type_, sa.ARRAY)
            if is_array:
                type_ = type_.item_type
            if (
                isinstance(type_, sa.Enum)
                and type_.name == name
                and ((type_.schema or None) in (schema, database.default_schema))
            ):
                uses.append(
                    EnumUse(table.schema, table.name, column.name, is_array, column.default)
                )
    return uses
