"""SQLAlchemy objects built from op data: tables, columns, indexes and constraints.

Every table is built on a fresh MetaData that carries the naming convention of the
configured `target_metadata`, so unnamed constraints and indexes get the names the
models would give them (SQLAlchemy's own naming-convention machinery does the work).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnClause, ColumnElement, TextClause
from sqlalchemy.sql.visitors import replacement_traverse

from distill.dialects.builtin_errors import WrongArgumentType
from distill.errors import DistillError

# Name given to the stand-in table of an index whose table is unknown (drop_index).
PLACEHOLDER_TABLE = "_distill_no_table"

IndexColumn = str | TextClause | ColumnElement[Any]


class SupportsOpts(Protocol):
    """Anything carrying configure() options: a MigrationContext or a DialectImpl."""

    @property
    def opts(self) -> Mapping[str, Any]: ...


def metadata_for(context: SupportsOpts | None) -> sa.MetaData:
    """A fresh MetaData with the naming convention of the configured target_metadata."""
    target = context.opts.get("target_metadata") if context is not None else None
    # Like Alembic, only a single MetaData lends its convention; a list of them does not.
    convention = getattr(target, "naming_convention", None)
    if convention:
        return sa.MetaData(naming_convention=convention)
    return sa.MetaData()


def detached(column: sa.Column[Any], *, with_foreign_keys: bool = True) -> sa.Column[Any]:
    """The column itself when it belongs to no table yet, else a copy that can join one.

    SQLAlchemy's copy leaves out foreign keys already turned into constraints (it expects
    the table's constraints to be copied as well); a column reused on its own keeps them.
    """
    if column.table is None:
        return column
    copy = column._copy()
    if with_foreign_keys:
        for fk in column.foreign_keys:
            if fk.constraint is not None and len(fk.constraint.elements) == 1:
                copy.append_foreign_key(fk._copy())
    return copy


def is_type_bound(constraint: sa.Constraint) -> bool:
    """True for a CHECK that a Boolean/Enum type generates itself (never listed twice)."""
    return bool(getattr(constraint, "_type_bound", False))


def build_table(
    metadata: sa.MetaData,
    name: str,
    items: Iterable[Any],
    *,
    schema: str | None = None,
    constraints_included: bool = False,
    **table_kw: Any,
) -> sa.Table:
    """A Table holding `items` (columns, constraints, indexes), FK targets stubbed in."""
    items = list(items)
    # with constraints_included the table's constraints are listed too, FKs among them
    columns = [
        detached(item, with_foreign_keys=not constraints_included)
        for item in items
        if isinstance(item, sa.Column)
    ]
    if constraints_included:
        # the constraints and indexes these flags would create are listed explicitly
        for column in columns:
            column.unique = False
            column.index = False
    table = sa.Table(name, metadata, *columns, schema=schema, **table_kw)
    for item in items:
        if isinstance(item, sa.Index):
            table.append_constraint(_index_for(item, table))
        elif isinstance(item, sa.Constraint) and not is_type_bound(item):
            parent = getattr(item, "parent", None)
            if parent is not None and parent is not table:
                item = item._copy(target_table=table)
            table.append_constraint(item)
    stub_foreign_key_targets(table)
    return table


def stub_foreign_key_targets(table: sa.Table) -> None:
    """Give every ForeignKey of `table` a target in its MetaData so the DDL can compile."""
    for fk in table.foreign_keys:
        try:
            fk.column  # noqa: B018 - resolving is the check
            continue
        except (sa.exc.NoReferencedTableError, sa.exc.NoReferencedColumnError):
            pass
        prefix, _, column_name = fk.target_fullname.rpartition(".")
        target_schema, _, target_name = prefix.rpartition(".")
        key = f"{target_schema}.{target_name}" if target_schema else target_name
        target = table.metadata.tables.get(key)
        if target is None:
            target = sa.Table(target_name, table.metadata, schema=target_schema or None)
        if column_name not in target.c:
            target.append_column(sa.Column(column_name, sa.types.NULLTYPE))


def _index_for(index: sa.Index, table: sa.Table) -> sa.Index:
    """`index` if it can join `table`, else an equivalent index built on `table`."""
    if index.table is None or index.table is table:
        return index
    expressions = [rebind(expression, table) for expression in index.expressions]
    return sa.Index(index.name, *expressions, unique=index.unique, **index.kwargs)


def rebind(expression: Any, table: sa.Table) -> Any:
    """`expression` with its columns replaced by same-named columns of `table`."""

    def replace(element: Any, **_: Any) -> Any:
        if isinstance(element, ColumnClause) and not element.is_literal:
            if element.name not in table.c:
                table.append_column(sa.Column(element.name, sa.types.NULLTYPE))
            return table.c[element.name]
        return None

    return replacement_traverse(expression, {}, replace)


def build_index(
    metadata: sa.MetaData,
    name: str | None,
    table_name: str | None,
    columns: Sequence[IndexColumn],
    *,
    schema: str | None = None,
    unique: bool = False,
    **kw: Any,
) -> sa.Index:
    """An Index on a stand-in table: names become columns, text and expressions stay SQL."""
    table = sa.Table(table_name or PLACEHOLDER_TABLE, metadata, schema=schema)
    expressions: list[Any] = []
    for column in columns:
        if isinstance(column, str):
            if column not in table.c:
                table.append_column(sa.Column(column, sa.types.NULLTYPE))
            expressions.append(table.c[column])
        elif isinstance(column, TextClause):
            expressions.append(column)
        elif isinstance(column, ColumnElement):
            # columns of another table (autogenerate's Index objects) move onto this one
            expressions.append(rebind(column, table))
        else:
            raise DistillError(
                f"create_index({name!r}, {table_name!r}, ...): index column {column!r} is "
                "neither a column name nor a SQL expression; pass a str, sa.text(...) or a "
                "SQLAlchemy expression"
            )
    index = sa.Index(name, *expressions, unique=unique, **kw)
    table.append_constraint(index)
    return index


# --- constraints added to, or dropped from, an existing table ---

# drop_constraint's type_ values (Alembic's) and the SQLAlchemy class each one means
CONSTRAINT_TYPES: dict[str | None, type[sa.Constraint]] = {
    "foreignkey": sa.ForeignKeyConstraint,
    "primary": sa.PrimaryKeyConstraint,
    "unique": sa.UniqueConstraint,
    "check": sa.CheckConstraint,
    None: sa.schema.Constraint,
}


def stand_in_table(
    metadata: sa.MetaData, name: str, schema: str | None, column_names: Iterable[str] = ()
) -> sa.Table:
    """The table `name` in `metadata` (made if needed), with the named columns added."""
    key = f"{schema}.{name}" if schema else name
    table = metadata.tables.get(key)
    if table is None:
        table = sa.Table(name, metadata, schema=schema)
    for column_name in column_names:
        if column_name not in table.c:
            table.append_column(sa.Column(column_name, sa.types.NULLTYPE))
    return table


def attach(constraint: sa.Constraint, table: sa.Table) -> sa.Constraint:
    """Attach `constraint` to `table` (naming it by the convention) and return it."""
    table.append_constraint(constraint)
    return constraint


def build_generic_constraint(
    metadata: sa.MetaData,
    name: str | None,
    table_name: str,
    type_: str | None,
    *,
    schema: str | None = None,
) -> sa.Constraint:
    """A constraint known by its name and kind only, as drop_constraint needs it."""
    if type_ not in CONSTRAINT_TYPES:
        kinds = ", ".join(repr(kind) for kind in CONSTRAINT_TYPES)
        raise WrongArgumentType(
            f"drop_constraint({name!r}, {table_name!r}, type_={type_!r}): type_ must be "
            f"one of {kinds}"
        )
    constraint: sa.Constraint
    if type_ == "foreignkey":
        constraint = sa.ForeignKeyConstraint([], [], name=name)
    elif type_ == "check":
        constraint = sa.CheckConstraint("", name=name)
    else:
        constraint = CONSTRAINT_TYPES[type_](name=name)
    return attach(constraint, stand_in_table(metadata, table_name, schema))


def build_foreign_key(
    metadata: sa.MetaData,
    name: str | None,
    source_table: str,
    referent_table: str,
    local_cols: Sequence[str],
    remote_cols: Sequence[str],
    *,
    source_schema: str | None = None,
    referent_schema: str | None = None,
    **kw: Any,
) -> sa.ForeignKeyConstraint:
    """A FOREIGN KEY from stand-in columns of `source_table` to those of `referent_table`."""
    if len(local_cols) != len(remote_cols) or not local_cols:
        raise DistillError(
            f"create_foreign_key({name!r}, {source_table!r}, {referent_table!r}, ...): "
            f"{len(local_cols)} local column(s) and {len(remote_cols)} remote column(s); "
            "give the same number (at least one) of each"
        )
    referent = stand_in_table(metadata, referent_table, referent_schema, remote_cols)
    source = stand_in_table(metadata, source_table, source_schema, local_cols)
    constraint = sa.ForeignKeyConstraint(
        list(local_cols), [referent.c[column] for column in remote_cols], name=name, **kw
    )
    return attach(constraint, source)  # type: ignore[return-value]


def build_exclude_constraint(
    metadata: sa.MetaData,
    name: str | None,
    table_name: str,
    elements: Sequence[tuple[Any, str]],
    *,
    where: Any = None,
    schema: str | None = None,
    **kw: Any,
) -> sa.Constraint:
    """A PostgreSQL EXCLUDE constraint on stand-in columns (column names or expressions)."""
    from sqlalchemy.dialects.postgresql import ExcludeConstraint

    table = stand_in_table(
        metadata, table_name, schema, [e for e, _ in elements if isinstance(e, str)]
    )
    pairs = [(rebind(e, table) if not isinstance(e, str) else e, op) for e, op in elements]
    if isinstance(where, str):
        where = sa.text(where)
    constraint = ExcludeConstraint(*pairs, name=name, where=where, **kw)
    return attach(constraint, table)
