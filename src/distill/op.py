"""The `op` of revision files: functions forwarding to the running migration's Operations.

Each directive is a real function with a real signature; directives that plugins add
with `Operations.register_operation` are reached through the module `__getattr__`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.sql.elements import conv
from sqlalchemy.sql.schema import SchemaItem

from distill.dialects.base import InlineLiteral
from distill.dialects.base import inline_literal as _inline_literal
from distill.errors import DistillError
from distill.operations.api import MigrationContextLike, Operations, active_operations
from distill.operations.base import IndexColumn
from distill.operations.ops import MigrateOperation

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
