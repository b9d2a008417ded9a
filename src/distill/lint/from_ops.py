"""Recorded op objects -> Changes, the vocabulary lint rules read."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from distill.dialects.lint_profile import LintProfile
from distill.lint.changes import Change, ChangeKind
from distill.lint.from_sql import VOLATILE_FUNCTIONS, changes_from_sql
from distill.lint.recording import RecordedOp
from distill.lint.type_shapes import shape_of_type
from distill.operations.ops import (
    AddColumnOp,
    AddConstraintOp,
    AlterColumnOp,
    BulkInsertOp,
    CreateCheckConstraintOp,
    CreateExcludeConstraintOp,
    CreateForeignKeyOp,
    CreateIndexOp,
    CreatePrimaryKeyOp,
    CreateTableOp,
    CreateUniqueConstraintOp,
    DropColumnOp,
    DropConstraintOp,
    DropIndexOp,
    DropTableOp,
    ExecuteSQLOp,
    RenameTableOp,
)

_CONSTRAINT_KINDS: tuple[tuple[type[Any], str], ...] = (
    (CreateForeignKeyOp, "foreign_key"),
    (CreateUniqueConstraintOp, "unique"),
    (CreateCheckConstraintOp, "check"),
    (CreatePrimaryKeyOp, "primary_key"),
    (CreateExcludeConstraintOp, "exclude"),
)

_TABLE_CONSTRAINT_KINDS: tuple[tuple[type[Any], str], ...] = (
    (sa.ForeignKeyConstraint, "foreign_key"),
    (sa.UniqueConstraint, "unique"),
    (sa.CheckConstraint, "check"),
)


@dataclass(frozen=True)
class _Opts:
    """What the op objects' builders read from a migration context."""

    opts: Mapping[str, Any]


def changes_from_ops(
    recorded: tuple[RecordedOp, ...],
    profile: LintProfile,
    dialect: Dialect,
    opts: Mapping[str, Any],
) -> list[Change]:
    """The Changes a revision's recorded ops make, in order."""
    found: list[Change] = []
    context = _Opts(opts)
    for index, entry in enumerate(recorded):
        for change in _changes(entry, profile, dialect, context):
            found.append(
                replace(
                    change,
                    op_index=index,
                    in_autocommit=entry.in_autocommit,
                    batch=entry.batch_recreate is not None,
                    recreate=entry.batch_recreate or "auto",
                )
            )
    return found


def _changes(
    entry: RecordedOp, profile: LintProfile, dialect: Dialect, context: _Opts
) -> Iterator[Change]:
    """The Changes of one recorded op."""
    op, line = entry.operation, entry.line
    if isinstance(op, ExecuteSQLOp):
        yield from changes_from_sql(_sql_text(op.sqltext, dialect), line, profile.sql_grammar)
    elif isinstance(op, BulkInsertOp):
        yield Change("data", line, table=op.table.name, detail="bulk_insert")
    elif isinstance(op, CreateTableOp):
        table = entry.table if entry.table is not None else op.to_table(context)
        yield from _create_table(op, line, table)
    elif isinstance(op, DropTableOp):
        yield Change("drop_table", line, table=op.table_name)
    elif isinstance(op, RenameTableOp):
        yield Change(
            "rename_table",
            line,
            table=op.table_name,
            new_name=op.new_table_name,
            identifiers=(op.new_table_name,),
        )
    elif isinstance(op, AddColumnOp):
        yield _add_column(op, line)
    elif isinstance(op, DropColumnOp):
        yield Change("drop_column", line, table=op.table_name, name=op.column_name)
    elif isinstance(op, AlterColumnOp):
        yield from _alter_column(op, line)
    elif isinstance(op, CreateIndexOp):
        yield Change(
            "create_index",
            line,
            table=op.table_name,
            name=op.index_name,
            unique=op.unique,
            concurrently=profile.concurrently(op.kw),
            identifiers=(op.index_name,) if op.index_name else (),
        )
    elif isinstance(op, DropIndexOp):
        yield Change("drop_index", line, table=op.table_name, name=op.index_name)
    elif isinstance(op, AddConstraintOp):
        yield _add_constraint(op, line, profile, context)
    elif isinstance(op, DropConstraintOp):
        yield Change("drop_constraint", line, table=op.table_name, name=op.constraint_name)
    else:
        yield Change("other_ddl", line, table=getattr(op, "table_name", None))


def _sql_text(statement: sa.Executable | str, dialect: Dialect) -> str:
    """The SQL of an op.execute() argument, compiled for the dialect when it is a construct."""
    if isinstance(statement, str):
        return statement
    if isinstance(statement, sa.TextClause):
        return statement.text
    return str(cast(sa.ClauseElement, statement).compile(dialect=dialect))


def _create_table(op: CreateTableOp, line: int, table: sa.Table) -> Iterator[Change]:
    """create_table, and its named constraints (for naming and identifier rules), read from
    the Table it builds."""
    names = (op.table_name, *(column.name for column in table.columns))
    yield Change("create_table", line, table=op.table_name, identifiers=names)
    for constraint in table.constraints:
        for klass, kind in _TABLE_CONSTRAINT_KINDS:
            if isinstance(constraint, klass):
                name = _constraint_name(constraint)
                yield Change(
                    "add_constraint",
                    line,
                    table=op.table_name,
                    name=name,
                    constraint=kind,
                    identifiers=(name,) if name else (),
                )
    for index in table.indexes:
        name = _constraint_name(index)
        yield Change(
            "create_index",
            line,
            table=op.table_name,
            name=name,
            unique=bool(index.unique),
            identifiers=(name,) if name else (),
        )


def _add_column(op: AddColumnOp, line: int) -> Change:
    column = op.column
    default = column.server_default
    has_default = default is not None or column.computed is not None or column.identity is not None
    return Change(
        "add_column",
        line,
        table=op.table_name,
        name=column.name,
        nullable=bool(column.nullable),
        has_default=has_default,
        volatile_default=bool(VOLATILE_FUNCTIONS.search(_default_text(default))),
        identifiers=(column.name,),
    )


def _default_text(default: Any) -> str:
    """The SQL text of a server default ('' when none or a plain literal)."""
    arg = getattr(default, "arg", None)
    if arg is None or isinstance(arg, str):
        return ""
    if isinstance(arg, sa.TextClause):
        return arg.text
    return str(arg)


def _alter_column(op: AlterColumnOp, line: int) -> Iterator[Change]:
    """alter_column: one Change per thing it changes that a rule cares about."""
    kind: ChangeKind
    made = False
    if op.modify_name:
        made = True
        yield Change(
            "rename_column",
            line,
            table=op.table_name,
            name=op.column_name,
            new_name=op.modify_name,
            identifiers=(op.modify_name,),
        )
    if op.modify_nullable is False and op.existing_nullable is not False:
        made = True
        yield Change("set_not_null", line, table=op.table_name, name=op.column_name)
    if op.modify_type is not None:
        made = True
        kind = "alter_type"
        yield Change(
            kind,
            line,
            table=op.table_name,
            name=op.column_name,
            old_type=shape_of_type(op.existing_type),
            new_type=shape_of_type(op.modify_type),
        )
    if not made:
        yield Change("other_ddl", line, table=op.table_name, name=op.column_name)


def _add_constraint(op: AddConstraintOp, line: int, profile: LintProfile, context: _Opts) -> Change:
    kind = next((name for klass, name in _CONSTRAINT_KINDS if isinstance(op, klass)), "other")
    table = str(getattr(op, "table_name", None) or getattr(op, "source_table", "") or "")
    try:
        name = _constraint_name(op.to_constraint(context))
    except Exception:  # a plugin's constraint op may not build one offline
        name = getattr(op, "constraint_name", None)
    explicit = getattr(op, "constraint_name", None)
    return Change(
        "add_constraint",
        line,
        table=table or None,
        name=name,
        constraint=kind,
        not_valid=profile.not_valid(getattr(op, "kw", {}) or {}),
        identifiers=(name,) if name else (),
        named_by_convention=explicit is None and name is not None,
    )


def _constraint_name(item: Any) -> str | None:
    """A constraint's or index's name, after the naming convention; None when unnamed."""
    name = getattr(item, "name", None)
    if not isinstance(name, str) or name == "_NONE_NAME":
        return None
    return str(name)
