"""SQLAlchemy objects rebuilt from reflected data, for the ops and hooks that need them.

A dropped table or column is remembered by its op (so that the downgrade can create it
again), and `include_object` / `compare_type` hooks receive SQLAlchemy objects, as
under Alembic. Only what is needed is built, when it is needed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from distill.autogenerate.reflect import (
    ReflectedCheck,
    ReflectedColumn,
    ReflectedForeignKey,
    ReflectedIndex,
    ReflectedTable,
    ReflectedUnique,
)


def to_column(reflected: ReflectedColumn) -> sa.Column[Any]:
    """The column as a detached SQLAlchemy Column."""
    extra: list[Any] = []
    if reflected.computed is not None:
        computed = dict(reflected.computed)
        extra.append(sa.Computed(computed["sqltext"], persisted=computed.get("persisted")))
    if reflected.identity is not None:
        options = {k: v for k, v in reflected.identity.items() if v is not None}
        extra.append(sa.Identity(**options))
    default = reflected.default
    if default is not None and default.startswith("nextval(") and reflected.autoincrement is True:
        default = None  # a SERIAL's own sequence: the column type implies it
    server_default = (
        sa.DefaultClause(sa.text(default))
        if default is not None and reflected.computed is None
        else None
    )
    autoincrement = reflected.autoincrement
    return sa.Column(
        reflected.name,
        reflected.type,
        *extra,
        nullable=reflected.nullable,
        server_default=server_default,
        comment=reflected.comment,
        autoincrement=autoincrement if isinstance(autoincrement, bool) else "auto",
    )


def to_table(reflected: ReflectedTable, metadata: sa.MetaData | None = None) -> sa.Table:
    """The table with its columns and constraints (and indexes) as SQLAlchemy objects."""
    metadata = metadata if metadata is not None else sa.MetaData()
    items: list[Any] = [to_column(column) for column in reflected.columns]
    if reflected.primary_key.columns:
        items.append(
            sa.PrimaryKeyConstraint(
                *reflected.primary_key.columns, name=_name(reflected.primary_key.name)
            )
        )
    items.extend(to_foreign_key(fk) for fk in reflected.foreign_keys)
    items.extend(
        to_unique(unique) for unique in reflected.uniques if unique.duplicates_index is None
    )
    items.extend(to_check(check) for check in reflected.checks or ())
    options = {
        key.replace(" ", "_"): value
        for key, value in reflected.options.items()
        if not key.endswith("_comment")
    }
    table = sa.Table(
        reflected.name,
        metadata,
        *items,
        schema=reflected.schema,
        comment=reflected.comment,
        **options,
    )
    for index in reflected.indexes:
        if index.duplicates_constraint is None and index.expressions is None:
            to_index(index, table)
    return table


def _name(name: str | None) -> Any:
    """A reflected name marked as final, so a naming convention does not rename it."""
    return None if name is None else sa.sql.elements.conv(name)


def to_foreign_key(fk: ReflectedForeignKey) -> sa.ForeignKeyConstraint:
    """The foreign key, pointing at its referred table by name."""
    prefix = (
        f"{fk.referred_schema}.{fk.referred_table}" if fk.referred_schema else fk.referred_table
    )
    options = {key: value for key, value in fk.options.items() if key in _FK_OPTIONS and value}
    return sa.ForeignKeyConstraint(
        list(fk.columns),
        [f"{prefix}.{column}" for column in fk.referred_columns],
        name=_name(fk.name),
        **options,
    )


_FK_OPTIONS = ("ondelete", "onupdate", "deferrable", "initially", "match")


def to_unique(unique: ReflectedUnique) -> sa.UniqueConstraint:
    """The unique constraint."""
    return sa.UniqueConstraint(*unique.columns, name=_name(unique.name))


def to_check(check: ReflectedCheck) -> sa.CheckConstraint:
    """The check constraint, its condition as reflected text."""
    return sa.CheckConstraint(sa.text(check.sqltext), name=_name(check.name))


def to_index(index: ReflectedIndex, table: sa.Table) -> sa.Index:
    """The index on `table` (column indexes; expression indexes carry their SQL as text)."""
    if index.expressions is not None:
        elements: list[Any] = [
            table.c[name] if name is not None and name in table.c else sa.text(expression)
            for name, expression in zip(index.columns, index.expressions, strict=False)
        ]
    else:
        elements = [table.c[name] for name in index.columns if name is not None]
    options = {key: value for key, value in index.dialect_options.items() if value}
    for key in ("postgresql_where", "sqlite_where"):
        if isinstance(options.get(key), str):
            options[key] = sa.text(options[key])
    return sa.Index(_name(index.name), *elements, unique=index.unique, _table=table, **options)
