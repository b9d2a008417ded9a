"""Run a revision's upgrade() or downgrade() against a recording `op`: every directive is
kept as its op object with the line that called it, and nothing reaches a database."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from types import FrameType, ModuleType
from typing import Any, Literal, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.util import immutabledict

from distill.dialects import DialectImpl, impl_for
from distill.operations.api import Operations
from distill.operations.batch import BatchOperations
from distill.operations.ops import CreateTableOp, ExecuteSQLOp, MigrateOperation


@dataclass(frozen=True)
class RecordedOp:
    """One directive a revision called, where, and in which block."""

    operation: MigrateOperation
    line: int
    in_autocommit: bool = False
    batch_recreate: str | None = None  # the batch's recreate=; None outside a batch
    # what a create_table built for the revision (lint reads it instead of building again)
    table: sa.Table | None = None


@dataclass(frozen=True)
class Recording:
    """What running one of a revision's functions recorded."""

    ops: tuple[RecordedOp, ...]
    failure: tuple[int, str] | None = None  # the line and text of what it raised


class _StatementSink:
    """The sink of the recording impl: `op.get_bind().execute(...)` lands here."""

    as_sql = False
    literal_binds = False

    def __init__(self, dialect: Dialect, context: RecordingContext) -> None:
        self._dialect = dialect
        self._context = context

    @property
    def dialect(self) -> Dialect:
        return self._dialect

    def execute(
        self,
        statement: sa.Executable | str,
        params: Any = None,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Any:
        self._context.record(ExecuteSQLOp(statement))
        return None


class RecordingContext:
    """A stand-in MigrationContext: the dialect, env.py's options, and the recorded ops."""

    def __init__(self, dialect: Dialect, opts: Mapping[str, Any], path: str) -> None:
        self._dialect = dialect
        self.opts: Mapping[str, Any] = dict(opts)
        self._path = os.path.realpath(path)
        self._impl = impl_for(dialect, _StatementSink(dialect, self), opts=self.opts)
        self.recorded: list[RecordedOp] = []
        self._autocommit = 0
        self._batch: list[str] = []

    @property
    def impl(self) -> DialectImpl:
        return self._impl

    @property
    def dialect(self) -> Dialect:
        return self._dialect

    @property
    def connection(self) -> Connection | None:
        return None

    @property
    def as_sql(self) -> bool:
        return False

    @contextmanager
    def autocommit_block(self) -> Iterator[None]:
        """Mark the ops of the block as running outside a transaction."""
        self._autocommit += 1
        try:
            yield
        finally:
            self._autocommit -= 1

    @contextmanager
    def batch(self, recreate: str) -> Iterator[None]:
        """Mark the ops of the block as part of a batch_alter_table()."""
        self._batch.append(recreate)
        try:
            yield
        finally:
            self._batch.pop()

    def record(self, operation: MigrateOperation, table: sa.Table | None = None) -> None:
        """Keep `operation` with the revision's line that asked for it (and the Table a
        create_table returned)."""
        self.recorded.append(
            RecordedOp(
                operation,
                self.calling_line(),
                in_autocommit=self._autocommit > 0,
                batch_recreate=self._batch[-1] if self._batch else None,
                table=table,
            )
        )

    def calling_line(self) -> int:
        """The line of the revision file the current call came from (0 if none)."""
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            if _realpath(frame.f_code.co_filename) == self._path:
                return frame.f_lineno
            frame = frame.f_back
        return 0


@functools.lru_cache(maxsize=256)
def _realpath(filename: str) -> str:
    """os.path.realpath, once per code file (asked for every recorded op)."""
    return os.path.realpath(filename)


class RecordingOperations(Operations):
    """`op` while lint records: directives are kept, never carried out."""

    migration_context: RecordingContext

    def invoke(self, operation: MigrateOperation) -> Any:
        """Record the op; a create_table still returns its Table (for bulk_insert)."""
        if isinstance(operation, CreateTableOp):
            table = operation.to_table(self.migration_context)
            self.migration_context.record(operation, table)
            return table
        self.migration_context.record(operation)
        return None

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
        """A batch whose directives are recorded as ops on `table_name`."""
        return self._batch(table_name, schema, recreate)

    @contextmanager
    def _batch(self, table_name: str, schema: str | None, recreate: str) -> Iterator[Any]:
        context = self.migration_context
        with context.batch(recreate):
            yield _RecordingBatch(context, cast(Any, context.impl), table_name, schema)


class _RecordingBatch(BatchOperations):
    """`batch_op` while lint records."""

    migration_context: RecordingContext

    def invoke(self, operation: MigrateOperation) -> Any:
        self.migration_context.record(operation)
        return None


def record(
    module: ModuleType, function: str, dialect: Dialect, opts: Mapping[str, Any]
) -> Recording:
    """Call `module.<function>()` with `op` recording; keep what it raised as a failure."""
    path = str(getattr(module, "__file__", "") or "")
    context = RecordingContext(dialect, opts, path)
    target = getattr(module, function, None)
    if not callable(target):
        return Recording((), (0, f"the revision has no {function}() function"))
    failure: tuple[int, str] | None = None
    with RecordingOperations.context(context):
        try:
            for call in _per_engine_calls(module, function, target):
                call()
        except Exception as error:  # the revision's own code: anything can come out
            failure = (_raising_line(error, context), f"{type(error).__name__}: {error}")
    return Recording(tuple(context.recorded), failure)


def _per_engine_calls(module: ModuleType, function: str, target: Any) -> list[Any]:
    """`upgrade()` itself, or for a multi-database revision (`upgrade(engine_name)`, as
    the multidb templates write it) each `upgrade_<name>()` it dispatches to."""
    import inspect

    try:
        parameters = inspect.signature(target).parameters
    except (TypeError, ValueError):
        return [target]
    engine = parameters.get("engine_name")
    if engine is None or engine.default is not inspect.Parameter.empty:
        return [target]
    prefix = f"{function}_"
    return [
        value for name, value in vars(module).items() if name.startswith(prefix) and callable(value)
    ] or [target]


def _raising_line(error: BaseException, context: RecordingContext) -> int:
    """The deepest line of the revision file in the error's traceback."""
    line = 0
    traceback = error.__traceback__
    while traceback is not None:
        code = traceback.tb_frame.f_code
        if os.path.realpath(code.co_filename) == context._path:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line
