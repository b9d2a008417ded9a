"""The `op` facade: typed directive methods that build op objects and invoke them.

`invoke()` dispatches an op object to the function registered for its class with
`implementation_for`; the built-in ones live in implementations.py. Plugins add
directives with `register_operation` and implementations with `implementation_for`,
exactly as with Alembic.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, TypeVar, overload

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement, TextClause, conv
from sqlalchemy.sql.schema import SchemaItem
from sqlalchemy.util import immutabledict

from distill.dialects.builtin_errors import InvalidArgument
from distill.dialects.ddl import InlineLiteral, inline_literal
from distill.errors import DistillError
from distill.operations.ops import (
    AddColumnOp,
    AlterColumnOp,
    BulkInsertOp,
    CreateCheckConstraintOp,
    CreateExcludeConstraintOp,
    CreateForeignKeyOp,
    CreateIndexOp,
    CreatePrimaryKeyOp,
    CreateTableCommentOp,
    CreateTableOp,
    CreateUniqueConstraintOp,
    DropColumnOp,
    DropConstraintOp,
    DropIndexOp,
    DropTableCommentOp,
    DropTableOp,
    ExecuteSQLOp,
    MigrateOperation,
    RenameTableOp,
)
from distill.operations.schema_objects import IndexColumn

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Dialect
    from sqlalchemy.types import TypeEngine

    from distill.dialects.base import DialectImpl

_T = TypeVar("_T")
_C = TypeVar("_C", bound=Callable[..., Any])


class MigrationContextLike(Protocol):
    """What Operations needs from the runtime's MigrationContext."""

    @property
    def impl(self) -> DialectImpl: ...

    @property
    def dialect(self) -> Dialect: ...

    @property
    def connection(self) -> Connection | None: ...

    @property
    def as_sql(self) -> bool: ...

    @property
    def opts(self) -> Mapping[str, Any]: ...


def _stand_in(operations: Operations, operation: MigrateOperation) -> Any:
    """What a skipped directive returns: the Table of a create_table, else None."""
    if isinstance(operation, CreateTableOp):
        return operation.to_table(operations.migration_context)
    return None


# The Operations that `distill.op` forwards to; a stack so nested contexts unwind cleanly.
_active: list[Operations] = []


def active_operations() -> Operations | None:
    """The Operations of the revision being run, or None outside a migration."""
    return _active[-1] if _active else None


class Operations:
    """The object behind `op`: one typed method per directive."""

    _implementations: ClassVar[dict[type[Any], Callable[..., Any]]] = {}

    def __init__(
        self, migration_context: MigrationContextLike, impl: DialectImpl | None = None
    ) -> None:
        self.migration_context = migration_context
        self.impl: DialectImpl = impl if impl is not None else migration_context.impl
        self._invoking = 0  # > 0 while an op's implementation runs (nested invokes)

    # --- extension API (Alembic's plugin interface) ---

    @classmethod
    def register_operation(
        cls, name: str, sourcename: str | None = None
    ) -> Callable[[type[_T]], type[_T]]:
        """Class decorator: make `op.<name>(...)` call the op class's classmethod."""

        def register(op_cls: type[_T]) -> type[_T]:
            source = getattr(op_cls, sourcename or name, None)
            if not callable(source):
                raise DistillError(
                    f"register_operation({name!r}): {op_cls.__name__} has no classmethod "
                    f"{sourcename or name!r}(cls, operations, ...) to build the operation"
                )
            params = list(inspect.signature(source).parameters.values())
            if not params:
                raise DistillError(
                    f"register_operation({name!r}): {op_cls.__name__}.{source.__name__} must "
                    "take the Operations object as its first argument after cls"
                )
            self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)

            def method(self: Operations, *args: Any, **kw: Any) -> Any:
                return source(self, *args, **kw)

            method.__name__ = name
            method.__qualname__ = f"{cls.__name__}.{name}"
            method.__doc__ = source.__doc__
            signature = inspect.signature(source).replace(parameters=[self_param, *params[1:]])
            method.__signature__ = signature  # type: ignore[attr-defined]
            setattr(cls, name, method)
            return op_cls

        return register

    @classmethod
    def implementation_for(cls, op_cls: Any, replace: bool = False) -> Callable[[_C], _C]:
        """Function decorator: run `fn(operations, operation)` when `op_cls` is invoked."""

        def decorate(fn: _C) -> _C:
            if op_cls in cls._implementations and not replace:
                raise DistillError(
                    f"Can not set dispatch function for object {op_cls!r}: key already "
                    "exists. To replace existing function, use replace=True."
                )
            cls._implementations[op_cls] = fn
            return fn

        return decorate

    @classmethod
    @contextmanager
    def context(cls, migration_context: MigrationContextLike) -> Iterator[Operations]:
        """Make `distill.op` forward to a new Operations for the duration of the block."""
        operations = cls(migration_context)
        _active.append(operations)
        try:
            yield operations
        finally:
            _active.remove(operations)

    @overload
    def invoke(self, operation: CreateTableOp) -> sa.Table: ...

    @overload
    def invoke(self, operation: MigrateOperation) -> Any: ...

    def invoke(self, operation: MigrateOperation) -> Any:
        """Run an op object through the implementation registered for its class."""
        for klass in type(operation).__mro__:
            implementation = self._implementations.get(klass)
            if implementation is not None:
                if not self._invoking and self._skipped(operation):
                    self._tell_finished(operation)
                    return _stand_in(self, operation)
                self._invoking += 1
                try:
                    result = implementation(self, operation)
                finally:
                    self._invoking -= 1
                if not self._invoking:
                    self._tell_finished(operation)
                return result
        name = type(operation).__name__
        raise InvalidArgument(
            f"no implementation is registered for {name}; decorate a function "
            f"fn(operations, operation) with @Operations.implementation_for({name})"
        )

    def run_counted(self, unit: Any, action: Callable[[], None]) -> None:
        """Run `action` as one counted directive described by `unit` (a batch block's
        statement): skipped when a resume replays it, told to the observers after."""
        if self._skipped(unit):
            self._tell_finished(unit)
            return
        action()
        self._tell_finished(unit)

    def _skipped(self, operation: Any) -> bool:
        """Ask the run's operation gate, if any (runtime/resume.py): True when a resume
        skips this top-level directive, completed by the failed run before."""
        if self.impl is not getattr(self.migration_context, "impl", None):
            return False
        gate = getattr(self.migration_context, "operation_gate", None)
        return gate is not None and bool(gate.starting(operation))

    def _tell_finished(self, operation: MigrateOperation) -> None:
        """Tell the run's observers that a directive of the running revision completed
        (the applied-revision log counts them); nested directives are part of their op, and
        a batch's directives are only recorded here (the batch counts what it runs at its
        end, through run_counted)."""
        if self.impl is not getattr(self.migration_context, "impl", None):
            return
        request = getattr(self.migration_context, "request", None)
        for observer in getattr(request, "observers", ()):
            finished = getattr(observer, "operation_finished", None)
            if finished is not None:
                finished(self.migration_context, operation)

    # --- directives ---

    def create_table(
        self, table_name: str, *columns: SchemaItem, if_not_exists: bool | None = None, **kw: Any
    ) -> sa.Table:
        """Create a table from columns, constraints and indexes; return the Table."""
        return self.invoke(CreateTableOp(table_name, columns, if_not_exists=if_not_exists, **kw))

    def drop_table(
        self,
        table_name: str,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        """Drop a table."""
        self.invoke(DropTableOp(table_name, schema=schema, if_exists=if_exists, table_kw=kw))

    def add_column(
        self,
        table_name: str,
        column: sa.Column[Any],
        *,
        schema: str | None = None,
        if_not_exists: bool | None = None,
        inline_references: bool | None = None,
        inline_primary_key: bool | None = None,
    ) -> None:
        """Add a column (with its foreign keys, indexes and comment) to a table."""
        self.invoke(
            AddColumnOp(
                table_name,
                column,
                schema=schema,
                if_not_exists=if_not_exists,
                inline_references=inline_references,
                inline_primary_key=inline_primary_key,
            )
        )

    def drop_column(
        self, table_name: str, column_name: str, *, schema: str | None = None, **kw: Any
    ) -> None:
        """Drop a column (`if_exists=True` where the backend has it)."""
        self.invoke(DropColumnOp(table_name, column_name, schema=schema, **kw))

    def create_index(
        self,
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
        self.invoke(
            CreateIndexOp(
                index_name,
                table_name,
                columns,
                schema=schema,
                unique=unique,
                if_not_exists=if_not_exists,
                **kw,
            )
        )

    def drop_index(
        self,
        index_name: str,
        table_name: str | None = None,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None:
        """Drop an index (MySQL needs `table_name`)."""
        self.invoke(DropIndexOp(index_name, table_name, schema=schema, if_exists=if_exists, **kw))

    def execute(
        self, sqltext: sa.Executable | str, *, execution_options: dict[str, Any] | None = None
    ) -> None:
        """Run a SQL string (as text()), a text() construct or a Core statement."""
        self.invoke(ExecuteSQLOp(sqltext, execution_options=execution_options))

    def bulk_insert(
        self,
        table: sa.Table | sa.TableClause,
        rows: list[dict[str, Any]],
        *,
        multiinsert: bool = True,
    ) -> None:
        """Insert rows (dicts keyed by column name); offline, as literal INSERTs."""
        self.invoke(BulkInsertOp(table, rows, multiinsert=multiinsert))

    def rename_table(
        self, old_table_name: str, new_table_name: str, *, schema: str | None = None
    ) -> None:
        """Rename a table."""
        self.invoke(RenameTableOp(old_table_name, new_table_name, schema=schema))

    def alter_column(
        self,
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
        """Change a column's type, nullability, server default, name or comment.

        `server_default=None` / `comment=None` remove them; False (the default) leaves
        them alone. MySQL restates the whole column: distill reads the existing_* values
        from the database online; offline, pass at least existing_type.
        """
        self.invoke(
            AlterColumnOp(
                table_name,
                column_name,
                schema=schema,
                existing_type=existing_type,
                existing_server_default=existing_server_default,
                existing_nullable=existing_nullable,
                existing_comment=existing_comment,
                modify_nullable=nullable,
                modify_comment=comment,
                modify_server_default=server_default,
                modify_name=new_column_name,
                modify_type=type_,
                **kw,
            )
        )

    def create_unique_constraint(
        self,
        constraint_name: str | None,
        table_name: str,
        columns: Sequence[str],
        *,
        schema: str | None = None,
        **kw: Any,
    ) -> Any:
        """Add a UNIQUE constraint (unnamed: named by the naming convention)."""
        return self.invoke(
            CreateUniqueConstraintOp(constraint_name, table_name, columns, schema=schema, **kw)
        )

    def create_foreign_key(
        self,
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
        options = {
            "onupdate": onupdate,
            "ondelete": ondelete,
            "deferrable": deferrable,
            "initially": initially,
            "match": match,
            "source_schema": source_schema,
            "referent_schema": referent_schema,
        }
        self.invoke(
            CreateForeignKeyOp(
                constraint_name,
                source_table,
                referent_table,
                local_cols,
                remote_cols,
                **{k: v for k, v in options.items() if v is not None},
                **dialect_kw,
            )
        )

    def create_check_constraint(
        self,
        constraint_name: str | None,
        table_name: str,
        condition: str | ColumnElement[bool] | TextClause,
        *,
        schema: str | None = None,
        **kw: Any,
    ) -> None:
        """Add a CHECK constraint (a SQL string or a SQLAlchemy expression)."""
        self.invoke(
            CreateCheckConstraintOp(constraint_name, table_name, condition, schema=schema, **kw)
        )

    def create_primary_key(
        self,
        constraint_name: str | None,
        table_name: str,
        columns: list[str],
        *,
        schema: str | None = None,
    ) -> None:
        """Add a PRIMARY KEY to a table that has none."""
        self.invoke(CreatePrimaryKeyOp(constraint_name, table_name, columns, schema=schema))

    def create_exclude_constraint(
        self, constraint_name: str, table_name: str, *elements: Any, **kw: Any
    ) -> None:
        """Add a PostgreSQL EXCLUDE constraint: elements are (column or expression, operator)."""
        self.invoke(CreateExcludeConstraintOp(constraint_name, table_name, elements, **kw))

    def drop_constraint(
        self,
        constraint_name: str,
        table_name: str,
        type_: str | None = None,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
    ) -> None:
        """Drop a constraint; type_ is 'foreignkey', 'unique', 'check' or 'primary'."""
        self.invoke(
            DropConstraintOp(
                constraint_name, table_name, type_=type_, schema=schema, if_exists=if_exists
            )
        )

    def create_table_comment(
        self,
        table_name: str,
        comment: str | None,
        *,
        existing_comment: str | None = None,
        schema: str | None = None,
    ) -> None:
        """Set a table's comment (existing_comment makes the op reversible)."""
        self.invoke(
            CreateTableCommentOp(
                table_name, comment, schema=schema, existing_comment=existing_comment
            )
        )

    def drop_table_comment(
        self,
        table_name: str,
        *,
        existing_comment: str | None = None,
        schema: str | None = None,
    ) -> None:
        """Remove a table's comment."""
        self.invoke(
            DropTableCommentOp(table_name, schema=schema, existing_comment=existing_comment)
        )

    def batch_alter_table(
        self,
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
        from distill.operations.batch import batch_alter_table

        return batch_alter_table(
            self,
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

    # --- helpers ---

    def f(self, name: str) -> conv:
        """Mark a name as final, so no naming convention rewrites it."""
        return conv(name)

    def inline_literal(
        self, value: str | int | Any, type_: TypeEngine[Any] | None = None
    ) -> InlineLiteral:
        """A value written into the SQL itself (works offline without literal_binds)."""
        return inline_literal(value, type_)

    def get_bind(self) -> Connection:
        """The Connection online; offline, a mock whose execute() writes to the script."""
        connection = self.migration_context.connection
        if self.impl.as_sql or connection is None:
            return self.impl.ddl_connection  # type: ignore[return-value]
        return connection

    def get_context(self) -> MigrationContextLike:
        """The MigrationContext of the run."""
        return self.migration_context

    def run_async(
        self, async_function: Callable[..., Awaitable[_T]], *args: Any, **kw_args: Any
    ) -> _T:
        """Call `await async_function(async_connection, *args, **kw_args)` and return it."""
        connection = self.migration_context.connection
        if self.impl.as_sql or connection is None:
            raise DistillError(
                "op.run_async() needs a live database connection; it cannot run in "
                "offline (--sql) mode. Guard it with `if not context.is_offline_mode():`"
            )
        if not connection.in_transaction():
            raise DistillError(
                "op.run_async() must be called while the migration's transaction is open "
                "(from upgrade()/downgrade() inside context.begin_transaction())"
            )
        if not connection.dialect.is_async:
            raise DistillError(
                "op.run_async() needs an async engine (e.g. sqlite+aiosqlite://, "
                "postgresql+asyncpg://): env.py must run the migrations with "
                "`await connection.run_sync(do_run_migrations)` on an AsyncConnection "
                "(see the async template)"
            )
        from sqlalchemy.ext.asyncio import AsyncConnection
        from sqlalchemy.util import await_only

        async_connection = AsyncConnection._retrieve_proxy_for_target(connection)
        return await_only(async_function(async_connection, *args, **kw_args))
