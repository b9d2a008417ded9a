"""batch_alter_table: several changes to one table, applied together when the block ends.

Inside the block, `batch_op` has the directives of `op` without the table name. Each
directive goes through the usual op object and implementation function, but reaches a
recorder instead of the DialectImpl. At the end of the block the recorded calls either
run as they are (ALTER statements), or become one table rebuild ("move and copy") when
the backend cannot ALTER them (SQLite) or `recreate="always"` asks for it, as in Alembic.
Where the backend has a guarded online rebuild (SQLite: dialects/sqlite/rebuild.py),
rows, indexes, triggers, views and foreign keys are kept, or nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, cast

import sqlalchemy as sa
from sqlalchemy.sql.elements import ClauseElement, TextClause
from sqlalchemy.util import immutabledict

from distill.dialects.alteration import ColumnAlteration
from distill.dialects.base import DialectImpl, constraint_kind
from distill.dialects.builtin_errors import ConstraintNameMissing, InvalidArgument, NotInBatchMode
from distill.dialects.copy_and_move import copy_and_move
from distill.dialects.ddl import sorted_constraints
from distill.dialects.table_definition import name_of
from distill.dialects.table_rebuild import TableRebuild, with_naming_convention
from distill.errors import DistillError
from distill.operations.api import MigrationContextLike, Operations
from distill.operations.ops import AddColumnOp

if TYPE_CHECKING:
    from sqlalchemy.sql.elements import ColumnElement
    from sqlalchemy.types import TypeEngine

    from distill.operations.schema_objects import IndexColumn

Recreate = Literal["auto", "always", "never"]

# The keywords placing a column in a recreated table; an ALTER has no use for them.
_PLACEMENT = ("insert_before", "insert_after")

# What each recorded call does to the new table definition.
_APPLY: dict[str, Callable[..., None]] = {}


@dataclass
class _Call:
    """One DialectImpl call a directive made inside the batch."""

    method: str
    args: tuple[Any, ...]
    kw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchStatement:
    """A recorded change a batch block runs as its own ALTER statement at its end: one
    counted directive of the revision (what the applied-revision log counts)."""

    table: str
    method: str
    args: tuple[Any, ...]
    kw: dict[str, Any]

    def describe(self) -> str:
        """One line saying what the statement does."""
        named = [name for name in map(_name_in, self.args[1:]) if name]
        what = f" {', '.join(named)}" if named else ""
        return f"Batch {self.method.replace('_', ' ')}{what} on {self.table}"


@dataclass(frozen=True)
class BatchRebuild:
    """A batch block that recreates its table: one counted directive."""

    table: str
    calls: tuple[_Call, ...]

    def describe(self) -> str:
        """One line saying what the rebuild does."""
        return f"Batch rebuild of table {self.table} ({len(self.calls)} change(s))"


def _name_in(arg: Any) -> str | None:
    """The name a recorded call's argument carries (a column, a constraint...)."""
    if isinstance(arg, ColumnAlteration):
        return arg.column_name
    name = getattr(arg, "name", None) if not isinstance(arg, str) else arg
    return str(name) if name else None


class _Recorder:
    """Stands in for the DialectImpl inside the block: records the changes to the table,
    passes everything else (flags, execute, bulk_insert, ...) to the real impl."""

    def __init__(self, impl: DialectImpl, table_name: str) -> None:
        self._impl = impl
        self._table_name = table_name
        self.calls: list[_Call] = []
        self.positions: dict[str, tuple[str | None, str | None]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._impl, name)

    def _record(self, method: str, *args: Any, **kw: Any) -> None:
        self.calls.append(_Call(method, args, kw))

    def add_column(
        self,
        table_name: str,
        column: sa.Column[Any],
        *,
        insert_before: str | None = None,
        insert_after: str | None = None,
        **kw: Any,
    ) -> None:
        """Record ADD COLUMN, and where insert_before / insert_after place the column."""
        if insert_before or insert_after:
            self.positions[column.name] = (insert_before, insert_after)
        self._record("add_column", table_name, column, **kw)

    def drop_column(self, table_name: str, column: sa.Column[Any] | str, **kw: Any) -> None:
        """Record DROP COLUMN."""
        self._record("drop_column", table_name, column, **kw)

    def alter_column(self, alteration: ColumnAlteration) -> None:
        """Record ALTER COLUMN."""
        self._record("alter_column", alteration)

    def add_constraint(self, constraint: sa.Constraint, **kw: Any) -> None:
        """Record ADD CONSTRAINT."""
        self._record("add_constraint", constraint, **kw)

    def drop_constraint(self, constraint: sa.Constraint, **kw: Any) -> None:
        """Record DROP CONSTRAINT."""
        self._record("drop_constraint", constraint, **kw)

    def create_index(self, index: sa.Index, **kw: Any) -> None:
        """Record CREATE INDEX."""
        self._record("create_index", index, **kw)

    def drop_index(self, index: sa.Index, **kw: Any) -> None:
        """Record DROP INDEX."""
        self._record("drop_index", index, **kw)

    def create_table_comment(self, table: sa.Table) -> None:
        """Record the table comment."""
        self._record("create_table_comment", table)

    def drop_table_comment(self, table: sa.Table) -> None:
        """Record removing the table comment."""
        self._record("drop_table_comment", table)

    def create_table(self, table: sa.Table, **kw: Any) -> None:
        """Not in batch mode (Alembic: NotImplementedError)."""
        raise _does_not_apply("create_table")

    def drop_table(self, table: sa.Table, **kw: Any) -> None:
        """Not in batch mode."""
        raise _does_not_apply("drop_table")

    def rename_table(self, *args: Any, **kw: Any) -> None:
        """Not in batch mode."""
        raise _does_not_apply("rename_table")


def _single_column_fk(constraint: sa.Constraint) -> bool:
    return isinstance(constraint, sa.ForeignKeyConstraint) and len(constraint.elements) == 1


def _placement(insert_before: str | None, insert_after: str | None) -> dict[str, str]:
    """The insert_before / insert_after options given, as the keywords ops carry them in."""
    given = dict(zip(_PLACEMENT, (insert_before, insert_after), strict=True))
    return {key: value for key, value in given.items() if value}


def _does_not_apply(method: str) -> DistillError:
    return NotInBatchMode(
        f"The {method} method does not apply to a batch table alter operation; call "
        f"op.{method}(...) outside the `with op.batch_alter_table(...)` block"
    )


class BatchOperations(Operations):
    """`batch_op` in `with op.batch_alter_table("t") as batch_op:` — op's directives for one
    table, without the table_name and schema arguments."""

    impl: Any  # the recorder while the block runs

    def __init__(
        self,
        migration_context: MigrationContextLike,
        recorder: _Recorder,
        table_name: str,
        schema: str | None,
    ) -> None:
        super().__init__(migration_context, impl=cast(DialectImpl, recorder))
        self.table_name = table_name
        self.schema = schema
        self._recorder = recorder

    def add_column(  # type: ignore[override]
        self,
        column: sa.Column[Any],
        *,
        insert_before: str | None = None,
        insert_after: str | None = None,
        if_not_exists: bool | None = None,
        inline_references: bool | None = None,
        inline_primary_key: bool | None = None,
    ) -> None:
        """Add a column; insert_before / insert_after place it (the table is recreated)."""
        self.invoke(
            AddColumnOp(
                self.table_name,
                column,
                schema=self.schema,
                if_not_exists=if_not_exists,
                inline_references=inline_references,
                inline_primary_key=inline_primary_key,
                **_placement(insert_before, insert_after),
            )
        )

    def alter_column(  # type: ignore[override]
        self,
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
        insert_before: str | None = None,
        insert_after: str | None = None,
        **kw: Any,
    ) -> None:
        """Change a column; insert_before / insert_after move it when the table is recreated."""
        kw.update(_placement(insert_before, insert_after))
        super().alter_column(
            self.table_name,
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
            schema=self.schema,
            **kw,
        )

    def drop_column(self, column_name: str, **kw: Any) -> None:  # type: ignore[override]
        """Drop a column."""
        super().drop_column(self.table_name, column_name, schema=self.schema, **kw)

    def create_index(  # type: ignore[override]
        self, index_name: str | None, columns: Sequence[IndexColumn], **kw: Any
    ) -> None:
        """Create an index on the table."""
        super().create_index(index_name, self.table_name, columns, schema=self.schema, **kw)

    def drop_index(self, index_name: str, **kw: Any) -> None:  # type: ignore[override]
        """Drop an index of the table."""
        super().drop_index(index_name, self.table_name, schema=self.schema, **kw)

    def create_unique_constraint(  # type: ignore[override]
        self, constraint_name: str | None, columns: Sequence[str], **kw: Any
    ) -> Any:
        """Add a UNIQUE constraint."""
        return super().create_unique_constraint(
            constraint_name, self.table_name, columns, schema=self.schema, **kw
        )

    def create_foreign_key(  # type: ignore[override]
        self,
        constraint_name: str | None,
        referent_table: str,
        local_cols: list[str],
        remote_cols: list[str],
        *,
        referent_schema: str | None = None,
        onupdate: str | None = None,
        ondelete: str | None = None,
        deferrable: bool | None = None,
        initially: str | None = None,
        match: str | None = None,
        **dialect_kw: Any,
    ) -> None:
        """Add a FOREIGN KEY from this table's local_cols to referent_table(remote_cols)."""
        super().create_foreign_key(
            constraint_name,
            self.table_name,
            referent_table,
            local_cols,
            remote_cols,
            onupdate=onupdate,
            ondelete=ondelete,
            deferrable=deferrable,
            initially=initially,
            match=match,
            source_schema=self.schema,
            referent_schema=referent_schema,
            **dialect_kw,
        )

    def create_check_constraint(  # type: ignore[override]
        self,
        constraint_name: str | None,
        condition: str | ColumnElement[bool] | TextClause,
        **kw: Any,
    ) -> None:
        """Add a CHECK constraint."""
        super().create_check_constraint(
            constraint_name, self.table_name, condition, schema=self.schema, **kw
        )

    def create_primary_key(  # type: ignore[override]
        self, constraint_name: str | None, columns: list[str]
    ) -> None:
        """Give the table a PRIMARY KEY (replacing the one it has, when recreated)."""
        super().create_primary_key(constraint_name, self.table_name, columns, schema=self.schema)

    def create_exclude_constraint(self, constraint_name: str, *elements: Any, **kw: Any) -> None:
        """Add a PostgreSQL EXCLUDE constraint."""
        kw.setdefault("schema", self.schema)
        super().create_exclude_constraint(constraint_name, self.table_name, *elements, **kw)

    def drop_constraint(  # type: ignore[override]
        self, constraint_name: str, type_: str | None = None
    ) -> None:
        """Drop a constraint by name (type_: 'foreignkey', 'unique', 'check', 'primary')."""
        super().drop_constraint(constraint_name, self.table_name, type_=type_, schema=self.schema)

    def create_table_comment(  # type: ignore[override]
        self, comment: str | None, *, existing_comment: str | None = None
    ) -> None:
        """Set the table comment."""
        super().create_table_comment(
            self.table_name, comment, existing_comment=existing_comment, schema=self.schema
        )

    def drop_table_comment(  # type: ignore[override]
        self, *, existing_comment: str | None = None
    ) -> None:
        """Remove the table comment."""
        super().drop_table_comment(
            self.table_name, existing_comment=existing_comment, schema=self.schema
        )

    def create_table(self, *args: Any, **kw: Any) -> sa.Table:
        """Not in batch mode."""
        raise _does_not_apply("create_table")

    def drop_table(self, *args: Any, **kw: Any) -> None:
        """Not in batch mode."""
        raise _does_not_apply("drop_table")

    def rename_table(self, *args: Any, **kw: Any) -> None:
        """Not in batch mode."""
        raise _does_not_apply("rename_table")

    def batch_alter_table(self, *args: Any, **kw: Any) -> Any:
        """Not inside another batch."""
        raise _does_not_apply("batch_alter_table")


@contextmanager
def batch_alter_table(
    operations: Operations,
    table_name: str,
    schema: str | None = None,
    recreate: str = "auto",
    partial_reordering: list[tuple[str, ...]] | None = None,
    copy_from: sa.Table | None = None,
    table_args: tuple[Any, ...] = (),
    table_kwargs: Mapping[str, Any] = immutabledict(),
    reflect_args: tuple[Any, ...] = (),
    reflect_kwargs: Mapping[str, Any] = immutabledict(),
    naming_convention: dict[str, str] | None = None,
) -> Iterator[BatchOperations]:
    """Yield a BatchOperations for `table_name`; apply what it collected when the block ends."""
    if recreate not in ("auto", "always", "never"):
        raise InvalidArgument(
            f"batch_alter_table({table_name!r}): recreate may be one of 'auto', 'always', or "
            f"'never', not {recreate!r}"
        )
    batch = _Batch(
        operations,
        table_name,
        schema,
        cast(Recreate, recreate),
        partial_reordering=partial_reordering,
        copy_from=copy_from,
        table_args=tuple(table_args),
        table_kwargs=dict(table_kwargs),
        reflect_args=tuple(reflect_args),
        reflect_kwargs=dict(reflect_kwargs),
        naming_convention=naming_convention,
    )
    yield batch.operations
    batch.flush()


class _Batch:
    """The state of one `batch_alter_table` block."""

    def __init__(
        self,
        operations: Operations,
        table_name: str,
        schema: str | None,
        recreate: Recreate,
        *,
        partial_reordering: list[tuple[str, ...]] | None,
        copy_from: sa.Table | None,
        table_args: tuple[Any, ...],
        table_kwargs: dict[str, Any],
        reflect_args: tuple[Any, ...],
        reflect_kwargs: dict[str, Any],
        naming_convention: dict[str, str] | None,
    ) -> None:
        self.impl: DialectImpl = operations.impl
        self.outer = operations  # counts the block's statements (runtime/resume.py)
        self.table_name = table_name
        self.schema = schema
        self.recreate = recreate
        self.partial_reordering = partial_reordering
        self.copy_from = copy_from
        self.table_args = table_args
        self.table_kwargs = table_kwargs
        self.reflect_args = reflect_args
        self.reflect_kwargs = reflect_kwargs
        self.naming_convention = naming_convention
        self.recorder = _Recorder(self.impl, table_name)
        self.operations = BatchOperations(
            operations.migration_context, self.recorder, table_name, schema
        )

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.table_name}" if self.schema else self.table_name

    @property
    def where(self) -> str:
        return f"batch_alter_table({self.table_name!r})"

    # --- deciding ---

    def should_recreate(self) -> bool:
        """Alembic's rule: always / never as asked; "auto" recreates on a backend that cannot
        ALTER columns or constraints when anything but a plain add_column or an index
        change is in the batch."""
        if self.recreate != "auto":
            return self.recreate == "always"
        impl = self.impl
        if impl.can_alter_column and impl.can_alter_constraints:
            return False
        for call in self.recorder.calls:
            if call.method in ("create_index", "drop_index"):
                continue
            if call.method != "add_column" or self._add_column_needs_recreate(call):
                return True
        return False

    def _add_column_needs_recreate(self, call: _Call) -> bool:
        column: sa.Column[Any] = call.args[1]
        default = column.server_default
        if isinstance(default, sa.Computed):
            return bool(default.persisted)
        if isinstance(default, sa.DefaultClause) and isinstance(default.arg, ClauseElement):
            return True  # Alembic's rule: a SQL expression default (text() included)
        if self.impl.as_sql and self.copy_from is None:
            return False  # Alembic's rule alone: nothing could be recreated from here
        inline = bool(call.kw.get("inline_references"))
        if self._separate_constraints(column, inline):
            return True  # Alembic's rule: they go into the recreated table, by name
        if self.impl.can_rebuild_table:
            return self.impl.add_column_needs_rebuild(column, inline_references=inline)
        # without a rebuild of its own, a constraint ADD COLUMN cannot write inline
        # makes the generic copy and move necessary
        table = column.table if isinstance(column.table, sa.Table) else None
        return any(
            not isinstance(c, sa.PrimaryKeyConstraint)
            and self.impl.creates(c)
            and not self.impl.inline_in_add_column(c, inline)
            for c in (sorted_constraints(table) if table is not None else [])
        )

    def _separate_constraints(self, column: sa.Column[Any], inline: bool) -> list[sa.Constraint]:
        """The constraints of an added column that Alembic adds on their own, after the
        column (all but a single-column foreign key with inline_references=True); a backend
        that cannot ALTER constraints gets them in a recreated table instead."""
        if self.impl.can_alter_constraints:
            return []
        table = column.table if isinstance(column.table, sa.Table) else None
        return [
            constraint
            for constraint in (sorted_constraints(table) if table is not None else [])
            if not isinstance(constraint, sa.PrimaryKeyConstraint)
            and not getattr(constraint, "_type_bound", False)
            and self.impl.creates(constraint)
            and not (inline and _single_column_fk(constraint))
        ]

    # --- applying ---

    def flush(self) -> None:
        """Run the collected changes: as ALTER statements, or as one table rebuild."""
        calls = self.recorder.calls
        recreate = self.should_recreate()
        if self.recorder.positions and not recreate:
            raise DistillError(
                "Can't specify insert_before or insert_after when using ALTER; please specify "
                f"recreate='always' ({self.where})"
            )
        if not recreate:
            self._run_in_place(calls)
            return
        self.outer.run_counted(BatchRebuild(self.label, tuple(calls)), lambda: self._rebuild(calls))

    def _rebuild(self, calls: list[_Call]) -> None:
        """The collected changes as one table rebuild."""
        if self.impl.as_sql and self.copy_from is None:
            raise DistillError(
                "This operation cannot proceed in --sql mode; batch mode with dialect "
                f"{self.impl.name} requires a live database connection with which to reflect "
                f'the table "{self.table_name}". To generate a batch SQL migration script '
                'using table "move and copy", a complete Table object should be passed to '
                'the "copy_from" argument of the batch_alter_table() method so that table '
                "reflection can be skipped."
            )
        if self.impl.can_rebuild_table and not self.impl.as_sql:
            self._guarded_rebuild(calls)
            return
        source = self.copy_from if self.copy_from is not None else self._reflect_generic()
        rebuild = self._plan(source, calls, reflected=self.copy_from is None)
        copy_and_move(self.impl, rebuild)

    def _run_in_place(self, calls: list[_Call]) -> None:
        impl = self.impl
        never = self.recreate == "never"
        saved = impl.__dict__.get("can_rebuild_table")
        if never:
            impl.can_rebuild_table = False  # "never" means no table rebuild of any kind
        try:
            for call in calls:
                statement = BatchStatement(self.label, call.method, call.args, dict(call.kw))
                self.outer.run_counted(statement, partial(self._run_one, call))
        except DistillError as error:
            if never:
                raise DistillError(
                    f"{error.message} ({self.where} was given recreate='never', which allows "
                    "ALTER statements only; use recreate='auto' to let the table be recreated)"
                ) from error
            raise
        finally:
            if never:
                if saved is None:
                    impl.__dict__.pop("can_rebuild_table", None)
                else:
                    impl.can_rebuild_table = saved

    def _run_one(self, call: _Call) -> None:
        """One recorded change as its ALTER statement."""
        if call.method == "alter_column":
            alteration: ColumnAlteration = call.args[0]
            options = {k: v for k, v in alteration.kw.items() if k not in _PLACEMENT}
            self.impl.alter_column(replace(alteration, kw=options))
            return
        getattr(self.impl, call.method)(*call.args, **call.kw)

    def _guarded_rebuild(self, calls: list[_Call]) -> None:
        """SQLite online: renames in place first (SQLite then rewrites what names the
        column), then the rebuild of the rest."""
        renames: list[tuple[str, str]] = []
        aliases: dict[str, str] = {}
        remaining: list[_Call] = []
        native = self.copy_from is None and self.impl.can_rename_column
        dropped: set[str] = set()
        for call in calls:
            if call.method == "drop_column":
                column_arg = call.args[1]
                dropped.add(str(getattr(column_arg, "name", column_arg)).casefold())
            if (
                call.method == "alter_column"
                and call.args[0].changes_name
                and str(call.args[0].new_column_name).casefold() in dropped
            ):
                # the name is free only once the batch's drop is done: from here on the
                # renames happen in the rebuild, in the batch's order
                native = False
            if call.method == "alter_column" and native:
                alteration: ColumnAlteration = call.args[0]
                column = aliases.get(alteration.column_name.casefold(), alteration.column_name)
                alteration = replace(alteration, column_name=column)
                if alteration.changes_name:
                    new_name = str(alteration.new_column_name)
                    renames.append((column, new_name))
                    aliases[alteration.column_name.casefold()] = new_name
                    aliases[str(call.args[0].column_name).casefold()] = new_name
                    alteration = replace(alteration, column_name=new_name, new_column_name=None)
                remaining.append(_Call("alter_column", (alteration,), call.kw))
            else:
                remaining.append(call)

        def reflect(connection: sa.Connection) -> sa.Table:
            return self._reflect(connection)

        def plan(table: sa.Table, indexes: Sequence[str]) -> TableRebuild:
            rebuild = self._plan(
                table, remaining, reflected=self.copy_from is None, known_indexes=indexes
            )
            rebuild.aliases.update(aliases)
            return rebuild

        self.impl.rebuild_table(
            self.table_name,
            self.schema,
            where=self.where,
            plan=plan,
            renames=renames,
            reflect=reflect,
            source=self.copy_from,
        )

    def _reflect_generic(self) -> sa.Table:
        connection = self.impl.connection
        if connection is None:
            raise DistillError(f"{self.where}: reflecting the table needs a live connection")
        return self._reflect(connection)

    def _reflect(self, connection: sa.Connection) -> sa.Table:
        table = self.impl.reflect_for_rebuild(
            connection,
            self.table_name,
            schema=self.schema,
            reflect_args=self.reflect_args,
            reflect_kwargs=self.reflect_kwargs,
        )
        return with_naming_convention(table, self.naming_convention)

    def _plan(
        self,
        table: sa.Table,
        calls: list[_Call],
        *,
        reflected: bool,
        known_indexes: Sequence[str] = (),
    ) -> TableRebuild:
        rebuild = TableRebuild(
            table,
            dialect=self.impl.dialect,
            reflected=reflected,
            table_args=self.table_args,
            table_kwargs=self.table_kwargs,
            partial_reordering=self.partial_reordering,
            known_indexes=known_indexes,
            casts_types=self.impl.rebuild_casts_types,
        )
        # Alembic builds the batch's indexes on the finished table, so an index may name
        # a column the batch adds later on
        indexes = ("create_index", "drop_index")
        for call in [c for c in calls if c.method not in indexes] + [
            c for c in calls if c.method in indexes
        ]:
            _APPLY[call.method](self, rebuild, call)
        return rebuild


def _applies(method: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(function: Callable[..., None]) -> Callable[..., None]:
        _APPLY[method] = function
        return function

    return register


@_applies("add_column")
def _apply_add_column(batch: _Batch, rebuild: TableRebuild, call: _Call) -> None:
    column: sa.Column[Any] = call.args[1]
    for constraint in batch._separate_constraints(column, bool(call.kw.get("inline_references"))):
        if name_of(constraint) is None:
            raise ConstraintNameMissing(
                f"Constraint must have a name: {batch.where} adds column {column.name!r} with "
                f"a {constraint_kind(constraint)} constraint, which goes into the recreated "
                "table under its name; name it (name=... or a naming convention on "
                "target_metadata), or pass inline_references=True for a single-column key"
            )
    before, after = batch.recorder.positions.get(column.name, (None, None))
    rebuild.add_column(column, insert_before=before, insert_after=after)


@_applies("drop_column")
def _apply_drop_column(batch: _Batch, rebuild: TableRebuild, call: _Call) -> None:
    column = call.args[1]
    rebuild.drop_column(column if isinstance(column, str) else column.name)


@_applies("alter_column")
def _apply_alter_column(batch: _Batch, rebuild: TableRebuild, call: _Call) -> None:
    rebuild.alter_column(call.args[0])


@_applies("add_constraint")
def _apply_add_constraint(batch: _Batch, rebuild: TableRebuild, call: _Call) -> None:
    constraint = call.args[0]
    if isinstance(constraint, sa.PrimaryKeyConstraint) and name_of(constraint) is None:
        # Alembic's recreated table takes constraints by name, the primary key included
        raise ConstraintNameMissing(
            f"Constraint must have a name: {batch.where} recreates the table, and its new "
            "primary key has no name; name it (create_primary_key('pk_...', [...]) or a "
            "naming convention with a 'pk' entry)"
        )
    rebuild.add_constraint(constraint)


@_applies("drop_constraint")
def _apply_drop_constraint(batch: _Batch, rebuild: TableRebuild, call: _Call) -> None:
    rebuild.drop_constraint(call.args[0], missing_ok=bool(call.kw.get("if_exists")))


@_applies("create_index")
def _apply_create_index(batch: _Batch, rebuild: TableRebuild, call: _Call) -> None:
    rebuild.create_index(call.args[0])


@_applies("drop_index")
def _apply_drop_index(batch: _Batch, rebuild: TableRebuild, call: _Call) -> None:
    index: sa.Index = call.args[0]
    rebuild.drop_index(str(index.name), missing_ok=bool(call.kw.get("if_exists")))


@_applies("create_table_comment")
def _apply_create_table_comment(batch: _Batch, rebuild: TableRebuild, call: _Call) -> None:
    rebuild.set_comment(call.args[0].comment)


@_applies("drop_table_comment")
def _apply_drop_table_comment(batch: _Batch, rebuild: TableRebuild, call: _Call) -> None:
    rebuild.set_comment(None)
