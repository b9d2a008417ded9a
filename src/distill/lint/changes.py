"""The one vocabulary lint rules read: a schema or data change, from an op object or from
raw SQL, with the facts rules need (table, names, nullability, defaults, types...)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ChangeKind = Literal[
    "create_table",
    "drop_table",
    "rename_table",
    "add_column",
    "drop_column",
    "rename_column",
    "set_not_null",
    "alter_type",
    "add_constraint",
    "drop_constraint",
    "create_index",
    "drop_index",
    "other_ddl",
    "data",
    "unparsed_sql",
]

DDL_KINDS = frozenset(
    [
        "create_table",
        "drop_table",
        "rename_table",
        "add_column",
        "drop_column",
        "rename_column",
        "set_not_null",
        "alter_type",
        "add_constraint",
        "drop_constraint",
        "create_index",
        "drop_index",
        "other_ddl",
    ]
)


@dataclass(frozen=True)
class TypeShape:
    """A column type reduced to what narrowing and rewriting depend on."""

    family: str  # string, integer, numeric, float, or the type's own name
    size: int | None = None  # length, integer bits, precision; None: unbounded / unknown
    scale: int | None = None

    def describe(self) -> str:
        """Short text such as string(50) or integer(64)."""
        if self.size is None:
            return self.family
        if self.scale is not None:
            return f"{self.family}({self.size},{self.scale})"
        return f"{self.family}({self.size})"


@dataclass(frozen=True)
class Change:
    """One change a revision makes, as lint sees it."""

    kind: ChangeKind
    line: int
    table: str | None = None
    name: str | None = None  # the column, index or constraint; None when unnamed
    new_name: str | None = None  # renames
    constraint: str | None = None  # foreign_key, unique, check, primary_key, exclude
    nullable: bool | None = None  # add_column
    has_default: bool = False  # add_column: a server default
    volatile_default: bool = False  # add_column: the default is computed per row
    old_type: TypeShape | None = None  # alter_type (None: not known)
    new_type: TypeShape | None = None
    unique: bool = False  # create_index
    concurrently: bool = False  # create_index
    not_valid: bool = False  # add_constraint
    in_autocommit: bool = False  # inside `autocommit_block()`
    batch: bool = False  # inside `batch_alter_table()`
    recreate: str = "auto"  # the batch's recreate=
    from_sql: bool = False  # parsed from op.execute() SQL
    identifiers: tuple[str, ...] = ()  # names this change creates in the database
    detail: str = ""  # the SQL (or why it could not be read)
    named_by_convention: bool = False  # the name comes from the metadata's convention
    op_index: int = 0  # which recorded op made it
    statement: int = 0  # which statement of that op's SQL

    @property
    def statement_key(self) -> tuple[int, int]:
        """Changes with one key are one statement sent to the database."""
        return (self.op_index, self.statement)

    @property
    def is_ddl(self) -> bool:
        """Whether the change alters the schema (as opposed to rows)."""
        return self.kind in DDL_KINDS

    @property
    def where(self) -> str:
        """The table and object, for messages: `users.email`, `users`."""
        if self.table and self.name:
            return f"{self.table}.{self.name}"
        return self.table or self.name or "?"
