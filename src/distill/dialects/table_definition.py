"""TableDefinition: a table being recreated, tracked column by column under the columns'
original names, and the new Table, rows copy and indexes it yields."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.base import SchemaEventTarget
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.visitors import replacement_traverse
from sqlalchemy.types import TypeEngine

from distill.dialects.builtin_errors import NoSuchColumn
from distill.dialects.sql_text import normalized, referenced_names, rename_identifiers
from distill.errors import DistillError

_UNCHANGED: Any = object()  # "leave as it is" for fresh_column()


TEMP_PREFIX = "_alembic_tmp_"


def temp_table_name(table_name: str) -> str:
    """The name the new table is created under before it takes the old one's place."""
    # Alembic's name and length, so scripts and leftovers look the same
    return f"{TEMP_PREFIX}{table_name}"[:50]


@dataclass
class Entry:
    """A constraint of the new table: the original object and the column keys it uses."""

    constraint: sa.Constraint
    keys: tuple[str, ...]
    added: bool = False

    @property
    def name(self) -> str | None:
        return name_of(self.constraint)


@dataclass
class IndexEntry:
    """An index of the new table: the original Index and the column keys it uses."""

    index: sa.Index
    keys: tuple[str, ...]
    added: bool = False


def name_of(item: sa.Constraint | sa.Index) -> str | None:
    """The constraint's or index's name as a plain string (None when it has none)."""
    name = item.name
    if name is None or not isinstance(name, str) or name == "_NONE_NAME":
        return None
    return str(name)


class TableDefinition:
    """A table's columns, constraints and indexes as they will be, and which old column
    fills each new one; TableRebuild (table_rebuild.py) applies the changes to it.

    `casts_types`: the copy CASTs a column whose type family changes (Alembic's rule);
    off where the backend converts stored values itself (DialectImpl.rebuild_casts_types).
    """

    def __init__(
        self,
        table: sa.Table,
        *,
        dialect: Dialect,
        reflected: bool,
        table_args: Sequence[Any] = (),
        table_kwargs: Mapping[str, Any] | None = None,
        partial_reordering: Sequence[Sequence[str]] | None = None,
        known_indexes: Iterable[str] = (),
        casts_types: bool = True,
    ) -> None:
        self.source = table
        self.dialect = dialect
        self.reflected = reflected
        self.name = table.name
        self.schema = table.schema
        self.temp_name = temp_table_name(table.name)
        self.table_args = tuple(table_args)
        self.table_kwargs = dict(table_kwargs or {})
        for key, value in table.kwargs.items():
            self.table_kwargs.setdefault(key, value)
        self.comment = table.comment
        self.partial_reordering = [tuple(names) for names in partial_reordering or ()]
        self.casts_types = casts_types

        self.columns: dict[str, sa.Column[Any]] = {}
        self.sources: dict[str, str | None] = {}
        self.casts: dict[str, TypeEngine[Any]] = {}
        self.order: list[str] = []  # keys: the old columns in place, then the added ones
        # the old columns keep their order unless partial_reordering or a position says not
        self.existing: list[str] = []
        self.placements: list[tuple[str, str]] = []  # (first, second) pairs of keys
        for column in table.columns:
            self.columns[column.name] = fresh_column(column, key=column.name)
            self.sources[column.name] = column.name
            self.order.append(column.name)
            self.existing.append(column.name)

        self.primary_key: Entry | None = None
        self.constraints: list[Entry] = []
        for constraint in creation_order(table.constraints):
            if getattr(constraint, "_type_bound", False):
                continue  # the column's type makes it again
            entry = Entry(constraint, keys_of(constraint))
            if isinstance(constraint, sa.PrimaryKeyConstraint):
                if entry.keys:
                    self.primary_key = entry
            else:
                self.constraints.append(entry)
        self.indexes: dict[str, IndexEntry] = {}
        for index in creation_order(table.indexes):
            name = name_of(index)
            if name is not None:
                self.indexes[name] = IndexEntry(index, keys_of(index))
        self.known_indexes = {name.casefold() for name in known_indexes}
        self.known_indexes.update(name.casefold() for name in self.indexes)
        self.dropped_indexes: set[str] = set()  # case-folded names of existing ones
        self.dropped_columns: set[str] = set()  # case-folded names, old and current
        self.not_null: set[str] = set()  # keys of copied columns made NOT NULL
        self.retyped: set[str] = set()  # keys of copied columns given a new type
        # old name (case-folded) -> new name, for columns renamed before the table was read
        self.aliases: dict[str, str] = {}

    # --- looking columns up ---

    @property
    def label(self) -> str:
        """`schema.table` for messages."""
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def key_for(self, name: str) -> str:
        """The key of the column now called `name` (or originally called so)."""
        for key, column in self.columns.items():
            if column.name == name:
                return key
        if name in self.columns:
            return name
        folded = name.casefold()
        for key, column in self.columns.items():
            if column.name.casefold() == folded:
                return key
        alias = self.aliases.get(folded)
        if alias is not None and alias.casefold() != folded:
            return self.key_for(alias)
        names = ", ".join(self.columns[key].name for key in self.order)
        raise NoSuchColumn(
            f"table {self.label} has no column {name!r} (its columns: {names}); check the "
            "column name"
        )

    def renamed(self) -> dict[str, str]:
        """Case-folded original name -> new name, for every renamed copied column."""
        return {
            str(self.sources[key]).casefold(): column.name
            for key, column in self.columns.items()
            if self.sources[key] is not None and column.name != self.sources[key]
        }

    # --- the result ---

    def final_order(self) -> list[str]:
        """Column keys in the order of the new table, as Alembic orders them.

        Without partial_reordering or positions: the old columns, then the added ones.
        Otherwise the wanted pairs (consecutive old columns, or the partial_reordering
        tuples; plus insert_before / insert_after) are met by repeatedly taking, in that
        order, every column none of whose predecessors is still waiting.
        """
        if not self.partial_reordering and not self.placements:
            return list(self.order)
        pairs: set[tuple[str, str]] = set(self.placements)
        if self.partial_reordering:
            for names in self.partial_reordering:
                keys = [self.key_for(name) for name in names]
                pairs.update(itertools.pairwise(keys))
        else:
            pairs.update(itertools.pairwise(self.existing))
        before: dict[str, set[str]] = {key: set() for key in self.order}
        for first, second in pairs:
            if first != second and first in before and second in before:
                before[second].add(first)
        ordered: list[str] = []
        waiting = list(self.order)
        while waiting:
            pending = set(waiting)
            ready = [key for key in waiting if before[key].isdisjoint(pending)]
            if not ready:
                raise DistillError(
                    f"the column order asked for table {self.label} is circular "
                    f"(partial_reordering={self.partial_reordering!r}, insert_before / "
                    "insert_after); list each column once"
                )
            ordered.extend(ready)
            waiting = [key for key in waiting if key not in ready]
        return ordered

    def new_table(self, *, name: str | None = None, foreign_keys: bool = True) -> sa.Table:
        """The new table as a SQLAlchemy Table (named `name`, by default the temporary name)."""
        order = self.final_order()
        primary = self.primary_key if self.primary_key and self._present(self.primary_key) else None
        pk_keys = list(primary.keys) if primary else []
        pk_keys += [
            key
            for key in order
            if self.columns[key].primary_key
            and key not in pk_keys
            and (primary is None or self.sources[key] is None)
        ]
        columns = []
        for key in order:
            column = fresh_column(self.columns[key], key=key)
            column.primary_key = key in pk_keys
            columns.append(column)
        extra = [item._copy() if hasattr(item, "_copy") else item for item in self.table_args]
        table = sa.Table(
            name or self.temp_name,
            sa.MetaData(),
            *columns,
            *extra,
            schema=self.schema,
            comment=self.comment,
            **self.table_kwargs,
        )
        if primary is not None:
            table.append_constraint(
                sa.PrimaryKeyConstraint(*pk_keys, name=name_of(primary.constraint))
            )
        for entry in self._ordered_entries():
            if not self._present(entry):
                continue
            if isinstance(entry.constraint, sa.ForeignKeyConstraint) and not foreign_keys:
                continue
            table.append_constraint(self._copy_constraint(entry, table))
        self._name_type_checks(table)
        self._drop_duplicate_checks(table, extra)
        _stub_foreign_key_targets(table)
        return table

    def kept_named_constraints(self) -> list[sa.Constraint]:
        """The old table's named constraints that the new table has again, under that name."""
        entries = [*([self.primary_key] if self.primary_key else []), *self.constraints]
        return [
            entry.constraint
            for entry in entries
            if not entry.added and entry.name is not None and self._present(entry)
        ]

    def insert_from_select(self, target: sa.Table, source: sa.Table | None = None) -> sa.Insert:
        """INSERT INTO target (...) SELECT ... FROM the old table."""
        source = source if source is not None else self.source
        keys = self.copied_keys(target)
        expressions = [self.source_expression(key, source) for key in keys]
        return target.insert().inline().from_select(keys, sa.select(*expressions))

    def copied_keys(self, target: sa.Table) -> list[str]:
        """The keys of the columns whose values are copied from the old rows."""
        return [
            key
            for key in self.final_order()
            if self.sources[key] is not None and target.c[key].computed is None
        ]

    def source_expression(self, key: str, source: sa.Table) -> Any:
        """The old column a new one is filled from (CAST to the new type where needed)."""
        column = _column_named(source, str(self.sources[key]))
        if key in self.casts:
            return sa.cast(column, self.casts[key])
        return column

    def final_indexes(self, table: sa.Table) -> list[sa.Index]:
        """The indexes of the new table, built on `table`, skipping those on dropped columns."""
        indexes = []
        for name, entry in self.indexes.items():
            if not all(key in self.columns for key in entry.keys):
                continue
            if not entry.added and self._mentions_dropped(_index_text(entry.index)):
                continue
            indexes.append(self._copy_index(name, entry, table))
        return indexes

    # --- helpers ---

    def _present(self, entry: Entry) -> bool:
        if not all(key in self.columns for key in entry.keys):
            return False
        if isinstance(entry.constraint, sa.CheckConstraint) and not entry.added:
            return not self._mentions_dropped(self.check_text(entry.constraint))
        return True

    def _mentions_dropped(self, sql: str) -> bool:
        return bool(self.dropped_columns and referenced_names(sql) & self.dropped_columns)

    def _ordered_entries(self) -> list[Entry]:
        # Alembic writes named constraints first, then the unnamed ones
        named = [entry for entry in self.constraints if entry.name is not None]
        return named + [entry for entry in self.constraints if entry.name is None]

    def check_text(self, constraint: sa.CheckConstraint) -> str:
        """The SQL text of a CHECK condition, as this dialect writes it."""
        sqltext = constraint.sqltext
        if isinstance(sqltext, sa.TextClause):
            return sqltext.text
        compiler = self.dialect.statement_compiler(self.dialect, None)
        return str(compiler.process(sqltext, include_table=False, literal_binds=True))

    def _copy_constraint(self, entry: Entry, table: sa.Table) -> sa.Constraint:
        constraint = entry.constraint
        name = name_of(constraint)
        common: dict[str, Any] = {
            "name": name,
            "deferrable": getattr(constraint, "deferrable", None),
            "initially": getattr(constraint, "initially", None),
            **_dialect_kwargs(constraint),
        }
        if isinstance(constraint, sa.ForeignKeyConstraint):
            renamed = self.renamed()
            targets = []
            for element in constraint.elements:
                target = element.target_fullname
                prefix, _, column = target.rpartition(".")
                if self.refers_to_self(prefix):
                    column = renamed.get(column.casefold(), column)
                    # the old table's name: the new table takes it over after the swap
                    prefix = f"{self.schema}.{self.name}" if self.schema else self.name
                targets.append(f"{prefix}.{column}")
            return sa.ForeignKeyConstraint(
                list(entry.keys),
                targets,
                onupdate=constraint.onupdate,
                ondelete=constraint.ondelete,
                match=constraint.match,
                use_alter=constraint.use_alter,
                **common,
            )
        if isinstance(constraint, sa.UniqueConstraint):
            return sa.UniqueConstraint(*entry.keys, **common)
        if isinstance(constraint, sa.CheckConstraint):
            text = rename_identifiers(self.check_text(constraint), self.renamed())
            return sa.CheckConstraint(sa.text(text), **common)
        # anything else (PostgreSQL EXCLUDE, third-party constraints): SQLAlchemy's own copy
        copied: sa.Constraint = constraint._copy(target_table=table)
        return copied

    def refers_to_self(self, prefix: str) -> bool:
        """True when `[schema.]table` (a foreign key's target) is this very table."""
        schema, _, name = prefix.rpartition(".")
        return name.casefold() == self.name.casefold() and (schema or None) == self.schema

    def _copy_index(self, name: str, entry: IndexEntry, table: sa.Table) -> sa.Index:
        index = entry.index
        renamed = self.renamed()
        expressions = [
            _rebound(expression, table, self, renamed) for expression in index.expressions
        ]
        kwargs = _dialect_kwargs(index)
        for option, value in list(kwargs.items()):
            if option.endswith("_where") and value is not None:
                kwargs[option] = _rebound(value, table, self, renamed)
        return sa.Index(name, *expressions, unique=bool(index.unique), **kwargs)

    def _drop_duplicate_checks(self, table: sa.Table, given: Sequence[Any]) -> None:
        """A reflected unnamed CHECK that a column's type now makes itself is not kept twice."""
        type_bound = {
            normalized(self.check_text(c))
            for c in table.constraints
            if isinstance(c, sa.CheckConstraint) and getattr(c, "_type_bound", False)
        }
        restated = any(isinstance(item, sa.CheckConstraint) for item in given)
        for constraint in list(table.constraints):
            if not isinstance(constraint, sa.CheckConstraint):
                continue
            if getattr(constraint, "_type_bound", False) or constraint.name is not None:
                continue
            if any(constraint is item for item in given):
                continue
            text = normalized(self.check_text(constraint))
            # Alembic's rule: unnamed CHECKs restated in table_args replace the reflected ones
            if text in type_bound or (restated and self.reflected):
                table.constraints.discard(constraint)

    def _name_type_checks(self, table: sa.Table) -> None:
        """Name a type's CHECK as the old table's naming convention would."""
        convention = self.source.metadata.naming_convention
        if not convention or "ck" not in convention:
            return
        for constraint in table.constraints:
            if not getattr(constraint, "_type_bound", False):
                continue
            columns = list(getattr(constraint, "columns", ()))
            if len(columns) != 1:
                continue
            column = columns[0]
            probe = sa.Table(
                self.name,
                sa.MetaData(naming_convention=convention),
                sa.Column(column.name, column.type.copy()),
                schema=self.schema,
            )
            for made in probe.constraints:
                if getattr(made, "_type_bound", False) and made.name is not None:
                    constraint.name = made.name


def same_name(a: str | None, b: str) -> bool:
    return a is not None and (a == b or a.casefold() == b.casefold())


def creation_order(items: Iterable[Any]) -> list[Any]:
    return sorted(items, key=lambda item: getattr(item, "_creation_order", 0))


def keys_of(item: sa.Constraint | sa.Index) -> tuple[str, ...]:
    if isinstance(item, sa.Index):
        return tuple(e.name for e in item.expressions if isinstance(e, sa.Column))
    return tuple(column.name for column in getattr(item, "columns", ()))


def _dialect_kwargs(item: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for dialect_name, options in item.dialect_options.items():
        for option, value in options._non_defaults.items():
            kwargs[f"{dialect_name}_{option}"] = value
    return kwargs


def _column_named(table: sa.Table, name: str) -> sa.Column[Any]:
    for column in table.columns:
        if column.name == name:
            return column
    return table.c[name]


def _index_text(index: sa.Index) -> str:
    parts = [str(e) if not isinstance(e, sa.Column) else e.name for e in index.expressions]
    for option, value in _dialect_kwargs(index).items():
        if option.endswith("_where") and value is not None:
            parts.append(str(value))
    return " ".join(parts)


def _rebound(
    expression: Any, table: sa.Table, rebuild: TableDefinition, renamed: Mapping[str, str]
) -> Any:
    """`expression` on the new table: columns by key, names in SQL text renamed."""
    if isinstance(expression, sa.Column):
        return table.c[rebuild.key_for(expression.name)]
    if isinstance(expression, sa.TextClause):
        return sa.text(rename_identifiers(expression.text, renamed))
    if isinstance(expression, str):
        return sa.text(rename_identifiers(expression, renamed))

    def replace(element: Any, **_: Any) -> Any:
        if isinstance(element, ColumnClause) and not element.is_literal:
            return table.c[rebuild.key_for(element.name)]
        return None

    return replacement_traverse(expression, {}, replace)


def fresh_column(
    column: sa.Column[Any],
    *,
    key: str,
    name: Any = _UNCHANGED,
    type_: Any = _UNCHANGED,
    nullable: Any = _UNCHANGED,
    server_default: Any = _UNCHANGED,
    comment: Any = _UNCHANGED,
    autoincrement: Any = _UNCHANGED,
    drop_constraint: sa.Constraint | None = None,
) -> sa.Column[Any]:
    """A fresh Column like `column` (free to join a new table), with the given changes.

    A new type gets a new Column, so that a Boolean / Enum makes its CHECK constraint
    on the new table the way it does on any table.
    """
    args: list[Any] = [
        constraint._copy()
        for constraint in column.constraints
        if not getattr(constraint, "_type_bound", False) and constraint is not drop_constraint
    ]
    default: Any = column.server_default
    if isinstance(default, (sa.Computed, sa.Identity)):
        args.append(default._copy())
        default = None
    elif isinstance(default, sa.DefaultClause):
        default = default.arg
    if server_default is not _UNCHANGED:
        if isinstance(server_default, (sa.Computed, sa.Identity)):
            args = [a for a in args if not isinstance(a, (sa.Computed, sa.Identity))]
            args.append(server_default._copy())
            server_default = None
        default = (
            server_default.arg if isinstance(server_default, sa.DefaultClause) else server_default
        )
    new_type = column.type if type_ is _UNCHANGED else type_
    if isinstance(new_type, type):
        new_type = new_type()
    if isinstance(new_type, SchemaEventTarget):
        new_type = new_type.copy()  # type: ignore[attr-defined]
    copy: sa.Column[Any] = sa.Column(
        column.name if name is _UNCHANGED else name,
        new_type,
        *args,
        key=key,
        primary_key=column.primary_key,
        autoincrement=column.autoincrement if autoincrement is _UNCHANGED else autoincrement,
        server_default=default,
        nullable=column.nullable if nullable is _UNCHANGED else bool(nullable),
        comment=column.comment if comment is _UNCHANGED else (comment or None),
        info=dict(column.info),
        **_dialect_kwargs(column),
    )
    return copy


def needs_cast(old: TypeEngine[Any], new: TypeEngine[Any]) -> bool:
    """Alembic's rule: CAST when the type family changes (JSON is stored as it is)."""
    return old._type_affinity is not new._type_affinity and not isinstance(new, sa.JSON)


def type_check_texts(column_name: str, type_: TypeEngine[Any], dialect: Dialect) -> list[str]:
    """The CHECK texts a Boolean / Enum type makes for a column named `column_name`."""
    if not isinstance(type_, SchemaEventTarget):
        return []
    probe = sa.Table("t", sa.MetaData(), sa.Column(column_name, type_.copy()))
    compiler = dialect.statement_compiler(dialect, None)
    texts = []
    for constraint in probe.constraints:
        if isinstance(constraint, sa.CheckConstraint):
            rule = getattr(constraint, "_create_rule", None)
            if rule is not None and not rule(_Compiling(dialect)):
                continue
            texts.append(
                str(compiler.process(constraint.sqltext, include_table=False, literal_binds=True))
            )
    return texts


class _Compiling:
    """What a type's `_create_rule` looks at: the dialect it is compiled for."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect


def _stub_foreign_key_targets(table: sa.Table) -> None:
    """Give each foreign key a target table in the same MetaData so the DDL compiles."""
    for fk in table.foreign_keys:
        prefix, _, column_name = fk.target_fullname.rpartition(".")
        target_schema, _, target_name = prefix.rpartition(".")
        key = f"{target_schema}.{target_name}" if target_schema else target_name
        target = table.metadata.tables.get(key)
        if target is None:
            target = sa.Table(target_name, table.metadata, schema=target_schema or None)
        if column_name not in target.c:
            target.append_column(sa.Column(column_name, sa.types.NULLTYPE))
