"""Columns of one table: added, removed, and altered (type, nullability, default, comment,
identity)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import sqlalchemy as sa

from distill.autogenerate.comparison import Comparison
from distill.autogenerate.plugins import run_column_comparators
from distill.autogenerate.reflect import ReflectedColumn, ReflectedTable
from distill.autogenerate.sql_text import default_key, expression_key, metadata_default_text
from distill.autogenerate.type_compare import types_differ
from distill.operations.ops import AddColumnOp, AlterColumnOp, DropColumnOp, MigrateOperation


def compare_columns(
    run: Comparison, reflected: ReflectedTable, table: sa.Table
) -> tuple[list[MigrateOperation], list[MigrateOperation], list[MigrateOperation]]:
    """(added, altered, dropped) column ops of one table present on both sides."""
    schema, name = reflected.schema, reflected.name
    parents = {"table_name": name, "schema_name": schema}
    added: list[MigrateOperation] = []
    altered: list[MigrateOperation] = []
    dropped: list[MigrateOperation] = []
    renamed = _renamed_columns(run, reflected, table)
    model_names = set(renamed.values())
    for column in table.columns:
        model_names.add(column.name)
        found = reflected.column(column.name)
        old_name = next((old for old, new in renamed.items() if new == column.name), None)
        if old_name is not None:
            found = reflected.column(old_name)
        if run.filters_objects:
            conn_column = run.reflected_column(reflected, found.name) if found else None
            if not run.include_object(column, column.name, "column", False, conn_column):
                continue
        if found is None:
            added.append(AddColumnOp.from_column_and_tablename(schema, name, column))
            continue
        op = alter_column(run, reflected, found, column)
        if op is not None:
            (altered.insert(0, op) if old_name is not None else altered.append(op))
    for found in reflected.columns:
        if found.name in model_names or found.name in renamed:
            continue
        conn_column = run.reflected_column(reflected, found.name)
        if not run.include_name(found.name, "column", parents):
            continue
        if not run.include_object(conn_column, found.name, "column", True, None):
            continue
        dropped.append(DropColumnOp.from_column_and_tablename(schema, name, _detached(conn_column)))
    return added, altered, dropped


def _renamed_columns(run: Comparison, reflected: ReflectedTable, table: sa.Table) -> dict[str, str]:
    """Confirmed column renames of this table: old name -> new name."""
    renamed = {}
    table_names = {reflected.name, getattr(reflected, "renamed_from", None) or reflected.name}
    for found in reflected.columns:
        if found.name in table.columns:
            continue
        new = next(
            (
                name
                for table_name in table_names
                if (name := run.renames.column(reflected.schema, table_name, found.name))
            ),
            None,
        )
        if new is not None and new in table.columns and reflected.column(new) is None:
            renamed[found.name] = new
    return renamed


def _detached(column: sa.Column[Any]) -> sa.Column[Any]:
    """A copy of a reflected column, free of its table (as drop ops keep it)."""
    return column._copy()


def existing_default(found: ReflectedColumn) -> Any:
    """The reflected default as alter_column's existing_server_default takes it."""
    if found.default is None or found.computed is not None:
        return None
    return sa.DefaultClause(sa.text(found.default))


def alter_column(
    run: Comparison, reflected: ReflectedTable, found: ReflectedColumn, column: sa.Column[Any]
) -> AlterColumnOp | None:
    """The alteration turning the reflected column into the model's, or None."""
    changes: dict[str, Any] = {}
    # the reflected Column is built only for the hooks and plugins that receive it
    conn_column = partial(run.reflected_column, reflected, found.name)
    if _type_changed(run, found, conn_column, column):
        changes["modify_type"] = column.type
    if found.nullable != column.nullable and not _nullable_ignored(found, column):
        changes["modify_nullable"] = column.nullable
    default_change = _default_change(run, found, conn_column, column)
    if default_change is not False:
        changes["modify_server_default"] = default_change
    if run.dialect.supports_comments and (found.comment or None) != (column.comment or None):
        changes["modify_comment"] = column.comment
    if column.name != found.name:
        changes["modify_name"] = column.name
    with_plugins = run.has_comparators("column")
    if not changes and not with_plugins:
        return None  # the op would have no changes: skip building it
    op = AlterColumnOp(
        reflected.name,
        found.name,
        schema=reflected.schema,
        existing_type=found.type,
        existing_server_default=existing_default(found),
        existing_nullable=found.nullable,
        existing_comment=found.comment,
    )
    op._init(**changes)
    if with_plugins:
        run_column_comparators(
            run, op, reflected.schema, reflected.name, found.name, conn_column(), column
        )
    return op if op.has_changes() else None


def _nullable_ignored(found: ReflectedColumn, column: sa.Column[Any]) -> bool:
    """A computed column's nullability is the database's business."""
    return found.computed is not None or column.computed is not None


def _type_changed(
    run: Comparison,
    found: ReflectedColumn,
    conn_column: Callable[[], sa.Column[Any]],
    column: sa.Column[Any],
) -> bool:
    setting = run.compare_type
    if setting is False:
        return False
    if callable(setting):
        conn = conn_column()
        verdict = setting(run.migration_context, conn, column, conn.type, column.type)
        if verdict is not None:
            return bool(verdict)
    # the reflected Column holds this very type object
    return types_differ(found.type, column.type, run.dialect, run.rules)


def _default_change(
    run: Comparison,
    found: ReflectedColumn,
    conn_column: Callable[[], sa.Column[Any]],
    column: sa.Column[Any],
) -> Any:
    """The new server default (None: drop it), or False when it does not change."""
    identity_change = _identity_change(found, column)
    if identity_change is not False:
        return identity_change
    if found.computed is not None or column.computed is not None or column.identity is not None:
        return False  # a generated column is compared by its expression elsewhere
    setting = run.compare_server_default
    if setting is False:
        return False
    model_text = metadata_default_text(column, run.dialect)
    if callable(setting):
        verdict = setting(
            run.migration_context,
            conn_column(),
            column,
            found.default,
            column.server_default,
            model_text,
        )
        if verdict is not None:
            return column.server_default if verdict else False
    if model_text is None and column.server_default is not None:
        return False  # a FetchedValue: the database decides
    if model_text is None and found.default is not None and found.default.startswith("nextval("):
        return False  # a SERIAL's sequence, which the model implies
    if default_key(found.default) == default_key(model_text):
        return False
    return column.server_default


def _identity_change(found: ReflectedColumn, column: sa.Column[Any]) -> Any:
    """The model's Identity when the column's identity differs from the database's."""
    model = column.identity
    if found.identity is None and model is None:
        return False
    if found.identity is None or model is None:
        return model if model is not None else None
    wanted = {"always": bool(model.always), "start": model.start, "increment": model.increment}
    have = {
        "always": bool(found.identity.get("always")),
        "start": found.identity.get("start"),
        "increment": found.identity.get("increment"),
    }
    differs = any(
        wanted[key] is not None and wanted[key] != have[key]
        for key in ("always", "start", "increment")
    )
    return model if differs else False


def computed_differs(found: ReflectedColumn, column: sa.Column[Any], dialect: Any) -> bool:
    """True when a generated column's expression is not the database's."""
    from distill.autogenerate.sql_text import compiled

    model = column.computed
    if model is None or found.computed is None:
        return (model is None) != (found.computed is None)
    return expression_key(compiled(model.sqltext, dialect)) != expression_key(
        str(found.computed.get("sqltext", ""))
    )
