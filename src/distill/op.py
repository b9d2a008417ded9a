"""The `op` of revision files: functions forwarding to the running migration's Operations.

Each directive is a real function with a real signature; directives that plugins add
with `Operations.register_operation` are reached through the module `__getattr__`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement, TextClause, conv
from sqlalchemy.sql.schema import SchemaItem
from sqlalchemy.util import immutabledict

from distill.dialects.ddl import InlineLiteral
from distill.dialects.ddl import inline_literal as _inline_literal
from distill.errors import DistillError
from distill.operations.api import MigrationContextLike, Operations, active_operations
from distill.operations.ops import MigrateOperation
from distill.operations.schema_objects import IndexColumn

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.types import TypeEngine

_T = TypeVar("_T")


def _not_running(name: str) -> DistillError:
    return DistillError(
        f"op.{name}() is only available while distill runs a revision's upgrade() or "
        "downgrade() (e.g. `distill upgrade head`); it was called outside a migration, "
        "for instance at import time of the revision file"
    )


def _operations(name: str) -> Operations:
    operations = active_operations()
    if operations is None:
        raise _not_running(name)
    return operations


def __getattr__(name: str) -> Any:
    """Directives registered by plugins (`op.sync_enum_values(...)` and the like)."""
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    operations = active_operations()
    if operations is not None:
        return getattr(operations, name)
    if hasattr(Operations, name):

        def not_running(*args: Any, **kw: Any) -> Any:
            raise _not_running(name)

        return not_running
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def create_table(
    table_name: str, *columns: SchemaItem, if_not_exists: bool | None = None, **kw: Any
) -> sa.Table:
    """Create a table from columns, constraints and indexes; return the Table."""
    return _operations("create_table").create_table(
        table_name, *columns, if_not_exists=if_not_exists, **kw
    )


def drop_table(
    table_name: str, *, schema: str | None = None, if_exists: bool | None = None, **kw: Any
) -> None:
    """Drop a table."""
    _operations("drop_table").drop_table(table_name, schema=schema, if_exists=if_exists, **kw)


def add_column(
    table_name: str,
    column: sa.Column[Any],
    *,
    schema: str | None = None,
    if_not_exists: bool | None = None,
    inline_references: bool | None = None,
    inline_primary_key: bool | None = None,
) -> None:
    """Add a column (with its foreign keys, indexes and comment) to a table."""
    _operations("add_column").add_column(
        table_name,
        column,
        schema=schema,
        if_not_exists=if_not_exists,
        inline_references=inline_references,
        inline_primary_key=inline_primary_key,
    )


def drop_column(table_name: str, column_name: str, *, schema: str | None = None, **kw: Any) -> None:
    """Drop a column (`if_exists=True` where the backend has it)."""
    _operations("drop_column").drop_column(table_name, column_name, schema=schema, **kw)


def create_index(
    index_name: str | None,
    table_name: str,
    columns: Sequence[IndexColumn],
    *,
    schema: str | None = None,
    unique: bool = False,
    if_not_exists: bool | None = None,
    **kw: Any,
) -> None:
    """Create an index on column names, text() or SQL expressions."""
    _operations("create_index").create_index(
        index_name,
        table_name,
        columns,
        schema=schema,
        unique=unique,
        if_not_exists=if_not_exists,
        **kw,
    )


def drop_index(
    index_name: str,
    table_name: str | None = None,
    *,
    schema: str | None = None,
    if_exists: bool | None = None,
    **kw: Any,
) -> None:
    """Drop an index (MySQL needs `table_name`)."""
    _operations("drop_index").drop_index(
        index_name, table_name, schema=schema, if_exists=if_exists, **kw
    )


def execute(
    sqltext: sa.Executable | str, *, execution_options: dict[str, Any] | None = None
) -> None:
    """Run a SQL string (as text()), a text() construct or a Core statement."""
    _operations("execute").execute(sqltext, execution_options=execution_options)


def bulk_insert(
    table: sa.Table | sa.TableClause, rows: list[dict[str, Any]], *, multiinsert: bool = True
) -> None:
    """Insert rows (dicts keyed by column name); offline, as literal INSERTs."""
    _operations("bulk_insert").bulk_insert(table, rows, multiinsert=multiinsert)


def rename_table(old_table_name: str, new_table_name: str, *, schema: str | None = None) -> None:
    """Rename a table."""
    _operations("rename_table").rename_table(old_table_name, new_table_name, schema=schema)


def alter_column(
    table_name: str,
    column_name: str,
    *,
    nullable: bool | None = None,
    comment: str | Literal[False] | None = False,
    server_default: Any = False,
    new_column_name: str | None = None,
    type_: TypeEngine[Any] | type[TypeEngine[Any]] | None = None,
    existing_type: TypeEngine[Any] | type[TypeEngine[Any]] | None = None,
    existing_server_default: Any = False,
    existing_nullable: bool | None = None,
    existing_comment: str | None = None,
    schema: str | None = None,
    **kw: Any,
) -> None:
    """Change a column's type, nullability, server default, name or comment."""
    _operations("alter_column").alter_column(
        table_name,
        column_name,
        nullable=nullable,
        comment=comment,
        server_default=server_default,
        new_column_name=new_column_name,
        type_=type_,
        existing_type=existing_type,
        existing_server_default=existing_server_default,
        existing_nullable=existing_nullable,
        existing_comment=existing_comment,
        schema=schema,
        **kw,
    )


def create_unique_constraint(
    constraint_name: str | None,
    table_name: str,
    columns: Sequence[str],
    *,
    schema: str | None = None,
    **kw: Any,
) -> Any:
    """Add a UNIQUE constraint (unnamed: named by the naming convention)."""
    return _operations("create_unique_constraint").create_unique_constraint(
        constraint_name, table_name, columns, schema=schema, **kw
    )


def create_foreign_key(
    constraint_name: str | None,
    source_table: str,
    referent_table: str,
    local_cols: list[str],
    remote_cols: list[str],
    *,
    onupdate: str | None = None,
    ondelete: str | None = None,
    deferrable: bool | None = None,
    initially: str | None = None,
    match: str | None = None,
    source_schema: str | None = None,
    referent_schema: str | None = None,
    **dialect_kw: Any,
) -> None:
    """Add a FOREIGN KEY from source_table(local_cols) to referent_table(remote_cols)."""
    _operations("create_foreign_key").create_foreign_key(
        constraint_name,
        source_table,
        referent_table,
        local_cols,
        remote_cols,
        onupdate=onupdate,
        ondelete=ondelete,
        deferrable=deferrable,
        initially=initially,
        match=match,
        source_schema=source_schema,
        referent_schema=referent_schema,
        **dialect_kw,
    )


def create_check_constraint(
    constraint_name: str | None,
    table_name: str,
    condition: str | ColumnElement[bool] | TextClause,
    *,
    schema: str | None = None,
    **kw: Any,
) -> None:
    """Add a CHECK constraint (a SQL string or a SQLAlchemy expression)."""
    _operations("create_check_constraint").create_check_constraint(
        constraint_name, table_name, condition, schema=schema, **kw
    )


def create_primary_key(
    constraint_name: str | None, table_name: str, columns: list[str], *, schema: str | None = None
) -> None:
    """Add a PRIMARY KEY to a table that has none."""
    _operations("create_primary_key").create_primary_key(
        constraint_name, table_name, columns, schema=schema
    )


def create_exclude_constraint(
    constraint_name: str, table_name: str, *elements: Any, **kw: Any
) -> None:
    """Add a PostgreSQL EXCLUDE constraint: elements are (column or expression, operator)."""
    _operations("create_exclude_constraint").create_exclude_constraint(
        constraint_name, table_name, *elements, **kw
    )


def drop_constraint(
    constraint_name: str,
    table_name: str,
    type_: str | None = None,
    *,
    schema: str | None = None,
    if_exists: bool | None = None,
) -> None:
    """Drop a constraint; type_ is 'foreignkey', 'unique', 'check' or 'primary'."""
    _operations("drop_constraint").drop_constraint(
        constraint_name, table_name, type_, schema=schema, if_exists=if_exists
    )


def create_table_comment(
    table_name: str,
    comment: str | None,
    *,
    existing_comment: str | None = None,
    schema: str | None = None,
) -> None:
    """Set a table's comment (existing_comment makes the op reversible)."""
    _operations("create_table_comment").create_table_comment(
        table_name, comment, existing_comment=existing_comment, schema=schema
    )


def drop_table_comment(
    table_name: str, *, existing_comment: str | None = None, schema: str | None = None
) -> None:
    """Remove a table's comment."""
    _operations("drop_table_comment").drop_table_comment(
        table_name, existing_comment=existing_comment, schema=schema
    )


def batch_alter_table(
    table_name: str,
    schema: str | None = None,
    recreate: Literal["auto", "always", "never"] = "auto",
    partial_reordering: list[tuple[str, ...]] | None = None,
    copy_from: sa.Table | None = None,
    table_args: tuple[Any, ...] = (),
    table_kwargs: Mapping[str, Any] = immutabledict(),
    reflect_args: tuple[Any, ...] = (),
    reflect_kwargs: Mapping[str, Any] = immutabledict(),
    naming_convention: dict[str, str] | None = None,
) -> AbstractContextManager[Any]:
    """A context manager whose operations change one table, recreating it if needed."""
    return _operations("batch_alter_table").batch_alter_table(
        table_name,
        schema=schema,
        recreate=recreate,
        partial_reordering=partial_reordering,
        copy_from=copy_from,
        table_args=table_args,
        table_kwargs=table_kwargs,
        reflect_args=reflect_args,
        reflect_kwargs=reflect_kwargs,
        naming_convention=naming_convention,
    )


def f(name: str) -> conv:
    """Mark a name as final, so no naming convention rewrites it."""
    return conv(name)


def inline_literal(value: str | int | Any, type_: TypeEngine[Any] | None = None) -> InlineLiteral:
    """A value written into the SQL itself (works offline without literal_binds)."""
    return _inline_literal(value, type_)


def get_bind() -> Connection:
    """The Connection online; offline, a mock whose execute() writes to the script."""
    return _operations("get_bind").get_bind()


def get_context() -> MigrationContextLike:
    """The MigrationContext of the run."""
    return _operations("get_context").get_context()


def invoke(operation: MigrateOperation) -> Any:
    """Run an op object through the implementation registered for its class."""
    return _operations("invoke").invoke(operation)


def run_async(async_function: Callable[..., Awaitable[_T]], *args: Any, **kw_args: Any) -> _T:
    """Call `await async_function(async_connection, *args, **kw_args)` and return it."""
    return _operations("run_async").run_async(async_function, *args, **kw_args)


register_operation = Operations.register_operation
implementation_for = Operations.implementation_for
