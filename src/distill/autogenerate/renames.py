"""Renames that keep the data, where autogenerate alone sees a drop and an add.

`find_candidates` looks at compared ops for a dropped table (or column) and an added one
of compatible shape in the same change; the CLI asks about each (`Did you rename
user.name to user.full_name? [y/N]`) or prints the `--rename` that would confirm it.
Confirmed renames (`Renames.parse(["user=account", "user.name=user.full_name"])`, or
the mapping forms `{"user": "account"}` / `{("user", "name"): "full_name"}`) go back
into the comparison, which then writes `rename_table` / `alter_column(...,
new_column_name=...)` and compares the rest of the renamed object as usual.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from distill.autogenerate.containers import ModifyTableOps, OpContainer
from distill.errors import DistillError
from distill.operations.ops import AddColumnOp, CreateTableOp, DropColumnOp, DropTableOp


@dataclass(frozen=True)
class RenameCandidate:
    """A table or column that may have been renamed rather than dropped and added."""

    kind: str  # "table" or "column"
    schema: str | None
    table: str
    old: str
    new: str

    @property
    def question(self) -> str:
        """The prompt the CLI shows."""
        if self.kind == "table":
            return f"Did you rename table {self.old} to {self.new}? [y/N]"
        return f"Did you rename {self.table}.{self.old} to {self.table}.{self.new}? [y/N]"

    @property
    def option(self) -> str:
        """The --rename argument that confirms this rename."""
        if self.kind == "table":
            return f"--rename {self.old}={self.new}"
        return f"--rename {self.table}.{self.old}={self.table}.{self.new}"


@dataclass(frozen=True)
class Renames:
    """Confirmed renames: tables by (schema, old name), columns by (schema, table, old name)."""

    tables: Mapping[tuple[str | None, str], str] = field(default_factory=dict)
    columns: Mapping[tuple[str | None, str, str], str] = field(default_factory=dict)

    @classmethod
    def of(cls, value: Renames | Mapping[Any, str] | Iterable[str] | None) -> Renames:
        """Renames from a mapping, `OLD=NEW` strings, candidates, or nothing."""
        if value is None:
            return cls()
        if isinstance(value, Renames):
            return value
        if isinstance(value, Mapping):
            return cls._from_mapping(value)
        return cls.parse(value)

    @classmethod
    def _from_mapping(cls, mapping: Mapping[Any, str]) -> Renames:
        tables: dict[tuple[str | None, str], str] = {}
        columns: dict[tuple[str | None, str, str], str] = {}
        for key, new in mapping.items():
            if isinstance(key, tuple) and len(key) == 2:
                columns[(None, key[0], key[1])] = new
            elif isinstance(key, tuple) and len(key) == 3:
                columns[(key[0], key[1], key[2])] = new
            else:
                schema, _, name = str(key).rpartition(".")
                tables[(schema or None, name)] = new
        return cls(tables, columns)

    @classmethod
    def parse(cls, arguments: Iterable[str]) -> Renames:
        """`table=new_table` and `table.column=table.new_column` arguments."""
        tables: dict[tuple[str | None, str], str] = {}
        columns: dict[tuple[str | None, str, str], str] = {}
        for argument in arguments:
            old, equals, new = argument.partition("=")
            old, new = old.strip(), new.strip()
            if not equals or not old or not new:
                raise DistillError(
                    f"--rename {argument!r}: expected OLD=NEW, e.g. --rename user=account or "
                    "--rename user.name=user.full_name"
                )
            if "." in old:
                table, _, column = old.rpartition(".")
                new_table, _, new_column = new.rpartition(".")
                if new_table and new_table != table:
                    raise DistillError(
                        f"--rename {argument!r}: a column keeps its table; rename the table "
                        f"with its own --rename {table}={new_table}"
                    )
                schema, _, table_name = table.rpartition(".")
                columns[(schema or None, table_name, column)] = new_column
            else:
                tables[(None, old)] = new
        return cls(tables, columns)

    def adding(self, candidates: Iterable[RenameCandidate]) -> Renames:
        """These renames and the confirmed candidates."""
        tables = dict(self.tables)
        columns = dict(self.columns)
        for candidate in candidates:
            if candidate.kind == "table":
                tables[(candidate.schema, candidate.old)] = candidate.new
            else:
                columns[(candidate.schema, candidate.table, candidate.old)] = candidate.new
        return Renames(tables, columns)

    def table(self, schema: str | None, name: str) -> str | None:
        """The confirmed new name of table `name`, if any."""
        return self.tables.get((schema, name)) or (
            self.tables.get((None, name)) if schema is not None else None
        )

    def column(self, schema: str | None, table: str, name: str) -> str | None:
        """The confirmed new name of column `table.name`, if any."""
        return self.columns.get((schema, table, name)) or (
            self.columns.get((None, table, name)) if schema is not None else None
        )


def _affinity(type_: Any) -> Any:
    return sa.types.to_instance(type_)._type_affinity


def _shape(columns: Iterable[Any]) -> set[tuple[str, Any]]:
    return {
        (str(column.name), _affinity(column.type))
        for column in columns
        if isinstance(column, sa.Column)
    }


def find_candidates(container: OpContainer) -> list[RenameCandidate]:
    """Likely renames among the drops and adds of one comparison's ops."""
    found: list[RenameCandidate] = []
    dropped = [op for op in container.ops if isinstance(op, DropTableOp) and op._reverse]
    created = [op for op in container.ops if isinstance(op, CreateTableOp)]
    taken: set[str] = set()
    for drop in dropped:
        assert drop._reverse is not None
        old_shape = _shape(drop._reverse.columns)
        for create in created:
            if create.table_name in taken or create.schema != drop.schema:
                continue
            new_shape = _shape(create.columns)
            common = len(old_shape & new_shape)
            if old_shape and common * 2 >= max(len(old_shape), len(new_shape)):
                found.append(
                    RenameCandidate(
                        "table", drop.schema, drop.table_name, drop.table_name, create.table_name
                    )
                )
                taken.add(create.table_name)
                break
    for modify in container.ops:
        if isinstance(modify, ModifyTableOps):
            found.extend(_column_candidates(modify))
    return found


def _column_candidates(modify: ModifyTableOps) -> list[RenameCandidate]:
    found = []
    adds = [op for op in modify.ops if isinstance(op, AddColumnOp)]
    taken: set[str] = set()
    for drop in (op for op in modify.ops if isinstance(op, DropColumnOp)):
        old = drop.to_column()
        for add in adds:
            if add.column.name in taken:
                continue
            if _affinity(add.column.type) == _affinity(old.type):
                found.append(
                    RenameCandidate(
                        "column",
                        modify.schema,
                        modify.table_name,
                        drop.column_name,
                        str(add.column.name),
                    )
                )
                taken.add(str(add.column.name))
                break
    return found
