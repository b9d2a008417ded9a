"""TableRebuild: the changes directives make to a table that is recreated (batch mode on
any backend, SQLite's ALTER that is not there), applied to its TableDefinition."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import conv
from sqlalchemy.types import TypeEngine

from distill.dialects.alteration import ColumnAlteration
from distill.dialects.base import constraint_kind
from distill.dialects.builtin_errors import (
    ConstraintNameMissing,
    NoSuchConstraint,
    NoSuchIndex,
)
from distill.dialects.sql_text import normalized
from distill.dialects.table_definition import (
    Entry,
    IndexEntry,
    TableDefinition,
    creation_order,
    fresh_column,
    name_of,
    needs_cast,
    same_name,
    type_check_texts,
)
from distill.errors import DistillError


class TableRebuild(TableDefinition):
    """The new definition of one table: its current one with changes applied, plus what
    to copy from the old rows.

    Columns are tracked under their original names ("keys"), like Alembic's batch mode,
    so a renamed column is still found by its old name and its data is copied from it.
    """

    # --- changes ---

    def add_column(
        self,
        column: sa.Column[Any],
        *,
        insert_before: str | None = None,
        insert_after: str | None = None,
    ) -> None:
        """Add a column, with the constraints and indexes of the (stand-in) table it is on."""
        key = column.name
        if key in self.columns:
            raise DistillError(
                f"add_column: table {self.label} already has a column {key!r}; pick another "
                "name, or alter_column() the existing one"
            )
        self.columns[key] = fresh_column(column, key=key)
        self.sources[key] = None
        self._place(key, insert_before, insert_after)
        stand_in = column.table if isinstance(column.table, sa.Table) else None
        if stand_in is None:
            return
        for constraint in creation_order(stand_in.constraints):
            if isinstance(constraint, sa.PrimaryKeyConstraint):
                continue
            if getattr(constraint, "_type_bound", False):
                continue
            self.constraints.append(Entry(constraint, self._keys_by_name(constraint), True))
        for index in creation_order(stand_in.indexes):
            self.create_index(index)

    def drop_column(self, name: str) -> None:
        """Drop a column and whatever can only exist with it (indexes, constraints on it)."""
        key = self.key_for(name)
        column = self.columns.pop(key)
        self.dropped_columns.add(column.name.casefold())
        source = self.sources.pop(key)
        if source is not None:
            self.dropped_columns.add(source.casefold())
        self.casts.pop(key, None)
        self.order.remove(key)
        if key in self.existing:
            self.existing.remove(key)
        # a placement naming the dropped column stays: it no longer holds its partner back,
        # which is where Alembic puts that partner too
        self.not_null.discard(key)
        self.retyped.discard(key)
        if self.primary_key is not None and key in self.primary_key.keys:
            remaining = tuple(k for k in self.primary_key.keys if k != key)
            self.primary_key = (
                Entry(self.primary_key.constraint, remaining, self.primary_key.added)
                if remaining
                else None
            )

    def alter_column(self, alteration: ColumnAlteration) -> None:
        """Apply one alter_column: name, type, nullability, default, comment, position."""
        key = self.key_for(alteration.column_name)
        column = self.columns[key]
        changes: dict[str, Any] = {}
        if alteration.changes_name:
            changes["name"] = alteration.new_column_name
        if alteration.type_ is not None:
            old_type = (
                alteration.existing_type if alteration.existing_type is not None else column.type
            )
            self._drop_type_checks(column.name, old_type)
            changes["type_"] = alteration.type_
            if self.sources[key] is not None:
                self.retyped.add(key)
                if self.casts_types and needs_cast(column.type, alteration.type_):
                    self.casts[key] = alteration.type_
        if alteration.nullable is not None:
            changes["nullable"] = alteration.nullable
            if not alteration.nullable and self.sources[key] is not None:
                self.not_null.add(key)
        if alteration.changes_default:
            changes["server_default"] = alteration.server_default
        if alteration.changes_comment:
            changes["comment"] = alteration.comment
        if alteration.autoincrement is not None:
            changes["autoincrement"] = alteration.autoincrement
        self.columns[key] = fresh_column(column, key=key, **changes)
        before = alteration.kw.get("insert_before")
        after = alteration.kw.get("insert_after")
        if before or after:
            if key in self.existing:
                self.existing.remove(key)
            self._place(key, before, after)

    def add_constraint(self, constraint: sa.Constraint, *, require_name: bool = True) -> None:
        """Add a constraint (batch mode wants it named); a primary key replaces the table's."""
        unnamed = name_of(constraint) is None
        if require_name and unnamed and not isinstance(constraint, sa.PrimaryKeyConstraint):
            raise ConstraintNameMissing(
                f"Constraint must have a name: batch mode on table {self.label} recreates the "
                f"table, and a {constraint_kind(constraint)} constraint without a name cannot "
                "be told apart later; pass a name (or configure a naming convention)"
            )
        entry = Entry(constraint, self._keys_by_name(constraint), True)
        if isinstance(constraint, sa.PrimaryKeyConstraint):
            self.primary_key = entry
        else:
            self.constraints.append(entry)

    def drop_constraint(self, constraint: sa.Constraint, *, missing_ok: bool = False) -> None:
        """Drop a constraint by its name."""
        name = name_of(constraint)
        if name is None:
            raise ConstraintNameMissing(
                f"Constraint must have a name: drop_constraint on table {self.label} drops a "
                "constraint by its name, and none was given; pass the name (for an unnamed "
                "constraint, batch_alter_table(..., naming_convention={...}) names it)"
            )
        if self.primary_key is not None and same_name(self.primary_key.name, name):
            for key in self.primary_key.keys:
                if key in self.columns:
                    self.columns[key].primary_key = False
            self.primary_key = None
            return
        for entry in self.constraints:
            if same_name(entry.name, name):
                self.constraints.remove(entry)
                return
        for key, column in self.columns.items():
            for owned in list(column.constraints):
                if same_name(name_of(owned), name):
                    self.columns[key] = fresh_column(column, key=key, drop_constraint=owned)
                    return
        if missing_ok or getattr(constraint, "_type_bound", False):
            return
        raise NoSuchConstraint(self._no_such_constraint(name))

    def _no_such_constraint(self, name: str) -> str:
        named = sorted(
            entry.name
            for entry in [*self.constraints, *([self.primary_key] if self.primary_key else [])]
            if entry.name
        )
        unnamed = [
            constraint_kind(entry.constraint) for entry in self.constraints if entry.name is None
        ]
        text = (
            f"No such constraint: '{name}' on table {self.label} (its named constraints: "
            f"{', '.join(named) or 'none'})"
        )
        if unnamed:
            text += (
                f". The table has {len(unnamed)} unnamed constraint(s) "
                f"({', '.join(unnamed)}); SQLite keeps no name for them, so give them names "
                "to drop them by: batch_alter_table(..., naming_convention={'fk': "
                "'fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s', 'uq': "
                "'uq_%(table_name)s_%(column_0_name)s'}) and drop the name the convention gives"
            )
        return text

    def create_index(self, index: sa.Index) -> None:
        """Create an index on the new table (after the swap)."""
        name = name_of(index)
        if name is None:
            raise DistillError(
                f"create_index on table {self.label}: the index needs a name; pass one (or "
                "configure a naming convention)"
            )
        self.indexes[name] = IndexEntry(index, self._keys_by_name(index), True)

    def drop_index(self, name: str, *, missing_ok: bool = False) -> None:
        """Leave an existing index out of the new table."""
        for existing in list(self.indexes):
            if same_name(existing, name):
                entry = self.indexes.pop(existing)
                if not entry.added:
                    self.dropped_indexes.add(existing.casefold())
                return
        if name.casefold() in self.known_indexes and name.casefold() not in self.dropped_indexes:
            self.dropped_indexes.add(name.casefold())
            return
        if missing_ok:
            return
        names = ", ".join(sorted(self.indexes)) or "none"
        raise NoSuchIndex(
            f"No such index: '{name}' on table {self.label} (its indexes: {names}); check "
            "the index name"
        )

    def set_comment(self, comment: str | None) -> None:
        """The table comment of the new table (None: no comment)."""
        self.comment = comment

    # --- helpers ---

    def _place(self, key: str, before: str | None, after: str | None) -> None:
        """Record where a new (or moved) column goes, the way Alembic pairs it up."""
        if key not in self.order:
            self.order.append(key)
        first = self.key_for(after) if after else None
        second = self.key_for(before) if before else None
        if not self.partial_reordering:
            # a lone insert_after / insert_before also pins the other side, so the column
            # lands right next to the one named
            if first is not None and second is None:
                if first in self.existing:
                    index = self.existing.index(first) + 1
                    second = self.existing[index] if index < len(self.existing) else None
                else:
                    second = dict(self.placements).get(first)
            elif second is not None and first is None:
                if second in self.existing:
                    index = self.existing.index(second) - 1
                    first = self.existing[index] if index >= 0 else None
                else:
                    first = {b: a for a, b in self.placements}.get(second)
            elif first is None and second is None and self.existing:
                first = self.existing[-1]
        if second is not None:
            self.placements.append((key, second))
        if first is not None:
            self.placements.append((first, key))

    def _keys_by_name(self, item: sa.Constraint | sa.Index) -> tuple[str, ...]:
        names = [column.name for column in getattr(item, "columns", ())]
        if isinstance(item, sa.Index):
            names = [
                expression.name
                for expression in item.expressions
                if isinstance(expression, sa.Column)
            ]
        return tuple(self.key_for(name) for name in names)

    def _drop_type_checks(self, column_name: str, old_type: TypeEngine[Any]) -> None:
        """Leave out the CHECK a Boolean / Enum type made, now that the type changes."""
        texts = {normalized(text) for text in type_check_texts(column_name, old_type, self.dialect)}
        names = {str(getattr(old_type, "name", None) or "").casefold()} - {""}
        if not texts and not names:
            return
        self.constraints = [
            entry
            for entry in self.constraints
            if not (
                isinstance(entry.constraint, sa.CheckConstraint)
                and not entry.added
                and (
                    normalized(self.check_text(entry.constraint)) in texts
                    or (entry.name or "").casefold() in names
                )
            )
        ]


def with_naming_convention(table: sa.Table, convention: Mapping[str, Any] | None) -> sa.Table:
    """The table; with a naming convention, a copy whose unnamed constraints it names."""
    if not convention:
        return table
    # the names the database has are final; the convention only names the unnamed ones
    items: list[sa.Constraint | sa.Index] = [*table.constraints, *table.indexes]
    for item in items:
        if isinstance(item.name, str) and not isinstance(item.name, conv):
            item.name = conv(item.name)
    return table.to_metadata(sa.MetaData(naming_convention=dict(convention)))
