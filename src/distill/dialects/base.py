"""DialectImpl: what a backend can do (capability flags), the hooks the runtime and batch
mode ask, and the directives every backend shares.

A `DialectImpl` turns one directive, given as SQLAlchemy objects (the operations layer
builds them from op objects), into statements (the elements of ddl.py) and hands them
to a `Sink` (a live connection, or an offline script). Backend differences are the
capability flags and hooks below plus a few overridden methods in sqlite/, postgresql.py
and mysql.py; no module outside dialects/ compares dialect names.

A new directive slots in as: a frozen op dataclass in the operations/ops/ package, one method
here (the portable SQL), the dialect files overriding it where a backend differs, and
an `implementation_for` function in operations/api.py that builds the SQLAlchemy
objects from the op and calls that method.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ClauseElement, TextClause

from distill.dialects.alteration import (
    ColumnAlteration,
    alteration_where,
    check_alteration,
    type_constraints,
)
from distill.dialects.builtin_errors import UnnamedConstraintDrop, WrongArgumentType
from distill.dialects.ddl import (
    AddColumn,
    ColumnNullable,
    ColumnRename,
    ColumnType,
    DropColumn,
    DropConstraintByName,
    RenameTable,
    check_text_values,
    column_sequences,
    default_change,
    first_line,
    inline_literal,
    sorted_constraints,
    sorted_indexes,
)
from distill.dialects.reflection import reflect_table, reflected_column
from distill.dialects.refusals import batch_hint, explain_refusal, message_hint
from distill.dialects.run_hooks import RunHooks
from distill.errors import DistillError

if TYPE_CHECKING:
    from sqlalchemy.engine.interfaces import ReflectedColumn
    from sqlalchemy.engine.mock import MockConnection

    from distill.dialects.table_rebuild import TableRebuild


class Sink(Protocol):
    """Where statements go: a live connection (online) or a script being written (offline)."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def as_sql(self) -> bool: ...

    @property
    def literal_binds(self) -> bool: ...

    def execute(
        self,
        statement: sa.Executable | str,
        params: Any = None,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Any:
        """Online: run it and return the CursorResult. Offline: write it, return None."""
        ...


# --- the implementation ---

_registry: dict[str, type[DialectImpl]] = {}


class DialectImpl(RunHooks):
    """Turns op objects into SQL for one backend; the flags say what that backend can do,
    the hooks of RunHooks (run_hooks.py) what the runtime asks about its connection."""

    dialect_names: ClassVar[tuple[str, ...]] = ()

    # Capability flags. Everything else in distill asks these instead of dialect names.
    can_rollback_ddl: bool = False  # DDL inside a transaction is undone by ROLLBACK
    can_alter_column: bool = True  # type / nullability / default changed in place
    can_alter_constraints: bool = True  # ALTER TABLE ADD / DROP CONSTRAINT
    can_drop_column: bool = True
    can_rename_column: bool = True
    supports_concurrent_index: bool = False  # CREATE INDEX CONCURRENTLY
    supports_comments: bool = False  # read from SQLAlchemy's dialect
    inline_comments: bool = False  # comments live inside the column / table DDL
    supports_native_enum: bool = False  # read from SQLAlchemy's dialect
    supports_column_if_exists: bool = False  # ADD COLUMN IF NOT EXISTS, DROP COLUMN IF EXISTS
    supports_index_if_exists: bool = True  # CREATE INDEX IF NOT EXISTS, DROP INDEX IF EXISTS
    supports_table_if_exists: bool = True  # CREATE TABLE IF NOT EXISTS, DROP TABLE IF EXISTS
    drop_index_needs_table: bool = False  # DROP INDEX ix ON table
    can_rename_table: bool = True  # ALTER TABLE ... RENAME TO
    can_rebuild_table: bool = False  # the *_by_rebuild hooks recreate the table
    rebuild_casts_types: bool = True  # a recreated table's copy CASTs a changed type family
    constraint_names_per_schema: bool = False  # a constraint name is unique in the schema
    supports_constraint_if_exists: bool = False  # DROP CONSTRAINT IF EXISTS
    supports_exclude_constraints: bool = False  # EXCLUDE USING ... (PostgreSQL)
    alter_column_restates_column: bool = False  # MODIFY: one change rewrites the column
    command_terminator: str = ";"

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        # Alembic-style third-party impls name their dialect in `__dialect__`.
        names = cls.__dict__.get("dialect_names") or ()
        legacy = cls.__dict__.get("__dialect__")
        for name in (*names, *([legacy] if isinstance(legacy, str) else [])):
            _registry[name] = cls
        # ... and say whether DDL is transactional with a `transactional_ddl` class flag
        flag = cls.__dict__.get("transactional_ddl")
        if isinstance(flag, bool):
            cls.can_rollback_ddl = flag

    def __init__(
        self,
        dialect: Dialect,
        sink: Sink,
        *,
        transactional_ddl: bool | None = None,
        opts: Mapping[str, Any] | None = None,
    ) -> None:
        self.dialect = dialect
        self.sink = sink
        self.opts: Mapping[str, Any] = dict(opts or {})
        # whether this run wraps DDL in transactions; configure(transactional_ddl=) decides
        self.transactional_ddl = (
            self.can_rollback_ddl if transactional_ddl is None else transactional_ddl
        )
        self.supports_comments = bool(dialect.supports_comments)
        self.inline_comments = bool(dialect.inline_comments)
        self.supports_native_enum = bool(dialect.supports_native_enum)
        # SQLAlchemy's named types note here what this run already created (PG ENUM)
        self.memo: dict[Any, Any] = {}
        self._mock: MockConnection | None = None

    @property
    def name(self) -> str:
        """The SQLAlchemy dialect name."""
        return str(self.dialect.name)

    @property
    def as_sql(self) -> bool:
        """True when writing an offline script."""
        return bool(self.sink.as_sql)

    @property
    def literal_binds(self) -> bool:
        """True when offline DML gets its values written inline."""
        return bool(self.sink.literal_binds)

    @property
    def begin_statement(self) -> str | None:
        """What opens the transaction in an offline script (None: the script has none)."""
        return "BEGIN" if self.transactional_ddl else None

    @property
    def commit_statement(self) -> str | None:
        """What closes the transaction in an offline script (None: the script has none)."""
        return "COMMIT" if self.transactional_ddl else None

    @property
    def ddl_connection(self) -> MockConnection:
        """A connection-like object whose execute() goes through this impl (events, --sql)."""
        if self._mock is None:
            from sqlalchemy.engine.mock import MockConnection

            self._mock = MockConnection(self.dialect, self._execute_from_mock)
        return self._mock

    def _execute_from_mock(self, statement: Any, parameters: Any = None) -> Any:
        return self.execute(statement, parameters or None)

    # --- statements ---

    def execute(
        self,
        statement: sa.Executable | str,
        params: Any = None,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Any:
        """Send one statement to the sink; a string is run as text(), like Alembic."""
        if isinstance(statement, str):
            statement = sa.text(statement)
        if params and self.as_sql:
            # Alembic's wording (a TypeError there), with the where and the how
            raise WrongArgumentType(
                f"SQL parameters not allowed with as_sql (offline --sql mode): {params!r} "
                f"for `{first_line(statement)}`; a script has nowhere to send them. Write "
                "the values into the statement (op.inline_literal(), or .values() with "
                "literal_binds turned on)"
            )
        if isinstance(statement, TextClause) and not params:
            check_text_values(statement, self.dialect)
        return self.sink.execute(statement, params, execution_options)

    def _refuse(self, what: str, clause: str) -> DistillError:
        return DistillError(
            f"{what}: {self.name} has no {clause}; leave the flag off, or look first with "
            "sa.inspect(op.get_bind()) and skip the operation when it is not needed"
        )

    # --- directives (Alembic's impl API: SQLAlchemy objects in, statements out) ---

    def create_table(self, table: sa.Table, *, if_not_exists: bool = False) -> None:
        """CREATE TABLE, its named types (PG ENUM), indexes and comments."""
        if if_not_exists and not self.supports_table_if_exists:
            raise self._refuse(f"create_table({table.name!r})", "CREATE TABLE IF NOT EXISTS")
        bind = self.ddl_connection
        self.create_sequences(table.columns)
        table.dispatch.before_create(table, bind, checkfirst=False, _ddl_runner=self)
        self.execute(sa.schema.CreateTable(table, if_not_exists=if_not_exists))
        table.dispatch.after_create(table, bind, checkfirst=False, _ddl_runner=self)
        # an idempotent create_table must not fail on its own indexes either
        index_if_not_exists = if_not_exists and self.supports_index_if_exists
        for index in sorted_indexes(table):
            self.create_index(index, if_not_exists=index_if_not_exists)
        self.create_comments(table)

    def create_comments(self, table: sa.Table) -> None:
        """COMMENT statements for a new table and its columns, where they are not inline."""
        if self.supports_comments and not self.inline_comments:
            if table.comment is not None:
                self.execute(sa.schema.SetTableComment(table))
            for column in table.columns:
                if column.comment is not None:
                    self.execute(sa.schema.SetColumnComment(column))

    def drop_table(self, table: sa.Table, *, if_exists: bool = False) -> None:
        """DROP TABLE (named types follow SQLAlchemy's rules for table drops)."""
        if if_exists and not self.supports_table_if_exists:
            raise self._refuse(f"drop_table({table.name!r})", "DROP TABLE IF EXISTS")
        bind = self.ddl_connection
        table.dispatch.before_drop(table, bind, checkfirst=False, _ddl_runner=self)
        self.execute(sa.schema.DropTable(table, if_exists=if_exists))
        table.dispatch.after_drop(table, bind, checkfirst=False, _ddl_runner=self)
        self.drop_sequences(table.columns)

    def add_column(
        self,
        table_name: str,
        column: sa.Column[Any],
        *,
        schema: str | None = None,
        if_not_exists: bool = False,
        inline_references: bool = False,
        inline_primary_key: bool = False,
    ) -> None:
        """ADD COLUMN, then the constraints, indexes and comment of the column.

        The constraints and indexes are those of the (stand-in) table the column belongs
        to, which is how a Column's ForeignKey, unique=True and index=True become objects.
        """
        where = f"add_column({table_name!r}, {column.name!r})"
        if if_not_exists and not self.supports_column_if_exists:
            raise self._refuse(where, "ADD COLUMN IF NOT EXISTS")
        table = column.table if isinstance(column.table, sa.Table) else None
        constraints = [
            constraint
            for constraint in (sorted_constraints(table) if table is not None else [])
            if not isinstance(constraint, sa.PrimaryKeyConstraint) and self.creates(constraint)
        ]
        inline = [c for c in constraints if self.inline_in_add_column(c, inline_references)]
        separate = [c for c in constraints if c not in inline]
        if separate and not self.can_alter_constraints and not self.can_rebuild_table:
            # refuse before the column is added, so nothing is left half done
            raise self.cannot_add_constraint(separate[0], where=where)
        self.create_sequences([column])
        self.run(
            AddColumn(
                table_name,
                column,
                schema=schema,
                if_not_exists=if_not_exists,
                inline_primary_key=inline_primary_key,
                inline_constraints=inline,
            ),
            where=where,
        )
        for constraint in separate:
            self.add_constraint(constraint, where=where)
        for index in sorted_indexes(table) if table is not None else []:
            self.create_index(index)
        if column.comment is not None and self.supports_comments and not self.inline_comments:
            self.execute(sa.schema.SetColumnComment(column))

    def drop_column(
        self,
        table_name: str,
        column: sa.Column[Any] | str,
        *,
        schema: str | None = None,
        if_exists: bool = False,
    ) -> None:
        """DROP COLUMN."""
        name = column if isinstance(column, str) else column.name
        if if_exists and not self.supports_column_if_exists:
            raise self._refuse(f"drop_column({table_name!r}, {name!r})", "DROP COLUMN IF EXISTS")
        self.execute(DropColumn(table_name, name, schema=schema, if_exists=if_exists))
        if not isinstance(column, str):
            self.drop_sequences([column])

    def create_index(self, index: sa.Index, *, if_not_exists: bool = False) -> None:
        """CREATE [UNIQUE] INDEX for an Index attached to a (stand-in) table."""
        if if_not_exists and not self.supports_index_if_exists:
            table = index.table.name if index.table is not None else None
            raise self._refuse(
                f"create_index({index.name!r}, {table!r})", "CREATE INDEX IF NOT EXISTS"
            )
        self.execute(sa.schema.CreateIndex(index, if_not_exists=if_not_exists))

    def drop_index(self, index: sa.Index, *, if_exists: bool = False) -> None:
        """DROP INDEX."""
        if if_exists and not self.supports_index_if_exists:
            raise self._refuse(f"drop_index({index.name!r})", "DROP INDEX IF EXISTS")
        self.execute(sa.schema.DropIndex(index, if_exists=if_exists))

    def bulk_insert(
        self,
        table: sa.Table | sa.TableClause,
        rows: Iterable[Mapping[str, Any]],
        *,
        multiinsert: bool = True,
    ) -> None:
        """INSERT the rows: one executemany online, one literal INSERT per row offline."""
        checked = _checked_rows(table, rows)
        if not checked:
            return
        insert = table.insert().inline()
        if self.as_sql:
            for row in checked:
                values = {
                    key: value
                    if isinstance(value, ClauseElement)
                    else inline_literal(value, table.c[key].type)
                    for key, value in row.items()
                }
                self.execute(insert.values(values))
        elif multiinsert and not any(_has_clause(row) for row in checked):
            self.execute(insert, checked)
        else:
            for row in checked:
                self.execute(insert.values(row))

    # --- reading the live database; refusals explained ---

    @property
    def connection(self) -> sa.Connection | None:
        """The live Connection online; None when writing a script."""
        if self.as_sql:
            return None
        connection = getattr(self.sink, "connection", None)
        return connection if isinstance(connection, sa.Connection) else None

    @classmethod
    def bulk_inspector(cls, connection: sa.Connection) -> sa.Inspector:
        """An Inspector for reading a whole schema (autogenerate): SQLAlchemy's own here."""
        return sa.inspect(connection)

    def reflected_column(
        self, table_name: str, column_name: str, *, schema: str | None = None, where: str = ""
    ) -> ReflectedColumn | None:
        """What the database says about a column (None offline); DistillError if absent."""
        connection = self.connection
        if connection is None:
            return None
        return reflected_column(connection, table_name, column_name, schema=schema, where=where)

    def run(self, statement: sa.Executable, *, where: str) -> None:
        """Execute a directive's statement; a database refusal becomes one clear error."""
        try:
            self.execute(statement)
        except sa.exc.DBAPIError as error:
            raise self.explain_refusal(error, where=where) from error

    def explain_refusal(self, error: sa.exc.DBAPIError, *, where: str) -> DistillError:
        """A DistillError naming the directive, the database's reason and the likely fix."""
        return explain_refusal(error, where=where, hint=self.refusal_hint(error))

    def refusal_hint(self, error: sa.exc.DBAPIError) -> str | None:
        """What to do about a refusal; dialects know their error codes (here: SQLite's)."""
        return message_hint(error)

    def rename_table(
        self, old_table_name: str, new_table_name: str, *, schema: str | None = None
    ) -> None:
        """ALTER TABLE ... RENAME TO."""
        where = f"rename_table({old_table_name!r}, {new_table_name!r})"
        if not self.can_rename_table:
            raise self._refuse(where, "ALTER TABLE ... RENAME TO")
        self.run(RenameTable(old_table_name, new_table_name, schema), where=where)

    def alter_column(self, alteration: ColumnAlteration) -> None:
        """Change a column in place, or hand the whole change to the table rebuild."""
        where = alteration_where(alteration)
        check_alteration(alteration)
        rebuild = (alteration.changes_definition and not self.can_alter_column) or (
            alteration.changes_name and not self.can_rename_column
        )
        if rebuild:
            self.alter_column_by_rebuild(alteration)
            return
        for constraint in type_constraints(alteration.existing_type, alteration, old=True):
            if alteration.changes_type and constraint.name is not None and self.creates(constraint):
                self.drop_constraint(constraint)
        for statement in self.alter_column_statements(alteration):
            self.run(statement, where=where)
        for constraint in type_constraints(alteration.type_, alteration, old=False):
            if self.creates(constraint):
                self.add_constraint(constraint, where=where)

    def alter_column_statements(self, alteration: ColumnAlteration) -> list[sa.Executable]:
        """ALTER statements in order: type, nullability, default, comment, name."""
        table, column, schema = alteration.table_name, alteration.column_name, alteration.schema
        statements: list[sa.Executable] = []
        if alteration.type_ is not None:
            using = alteration.kw.get("postgresql_using")
            statements.append(
                ColumnType(table, column, alteration.type_, schema=schema, using=using)
            )
        if alteration.nullable is not None:
            statements.append(ColumnNullable(table, column, alteration.nullable, schema=schema))
        if alteration.changes_default:
            statements.append(default_change(alteration))
        if alteration.changes_comment and self.supports_comments:
            commented = replace(alteration, new_column_name=None).column_after()
            commented.comment = alteration.comment or None
            if alteration.comment is None:
                statements.append(sa.schema.DropColumnComment(commented))
            else:
                statements.append(sa.schema.SetColumnComment(commented))
        if alteration.changes_name:
            new_name = str(alteration.new_column_name)
            statements.append(ColumnRename(table, column, new_name, schema=schema))
        return statements

    def add_constraint(self, constraint: sa.Constraint, *, where: str = "") -> None:
        """ALTER TABLE ... ADD CONSTRAINT (or the table rebuild where there is none)."""
        if not self.can_alter_constraints:
            self.add_constraint_by_rebuild(constraint, where=where)
            return
        where = where or constraint_where("create", constraint)
        self.run(sa.schema.AddConstraint(constraint), where=where)

    def drop_constraint(self, constraint: sa.Constraint, *, if_exists: bool = False) -> None:
        """ALTER TABLE ... DROP CONSTRAINT (or the table rebuild where there is none)."""
        where = constraint_where("drop", constraint)
        if constraint.name is None:
            raise UnnamedConstraintDrop(
                f"{where}: a constraint is dropped by its name, and none was given; pass the "
                "name the database knows it by (with a naming convention, the same name "
                "given to create it, or op.f('<full name>'))"
            )
        if if_exists and not self.supports_constraint_if_exists:
            raise self._refuse(where, "DROP CONSTRAINT IF EXISTS")
        if not self.can_alter_constraints:
            self.drop_constraint_by_rebuild(constraint, if_exists=if_exists)
            return
        self.run(DropConstraintByName(constraint, if_exists=if_exists), where=where)

    def create_table_comment(self, table: sa.Table) -> None:
        """Set the table's comment (no SQL where the backend keeps no comments)."""
        if self.supports_comments:
            self.run(
                sa.schema.SetTableComment(table), where=f"create_table_comment({table.name!r})"
            )

    def drop_table_comment(self, table: sa.Table) -> None:
        """Remove the table's comment (no SQL where the backend keeps no comments)."""
        if self.supports_comments:
            self.run(sa.schema.DropTableComment(table), where=f"drop_table_comment({table.name!r})")

    def create_sequences(self, columns: Iterable[sa.Column[Any]]) -> None:
        """CREATE SEQUENCE IF NOT EXISTS for the columns' sequences (before their table)."""
        for sequence in column_sequences(columns, self.dialect):
            self.execute(sa.schema.CreateSequence(sequence, if_not_exists=True))

    def drop_sequences(self, columns: Iterable[sa.Column[Any]]) -> None:
        """DROP SEQUENCE IF EXISTS for the known columns' sequences (after their table)."""
        for sequence in column_sequences(columns, self.dialect):
            self.execute(sa.schema.DropSequence(sequence, if_exists=True))

    # --- hooks for what a backend cannot ALTER (SQLite's table rebuild overrides them) ---

    def alter_column_by_rebuild(self, alteration: ColumnAlteration) -> None:
        """Apply `alteration` by recreating the table; this backend cannot."""
        what = [
            label
            for label, changed in (
                ("the type", alteration.changes_type),
                ("the nullability", alteration.changes_nullable),
                ("the server default", alteration.changes_default),
                ("autoincrement", alteration.changes_autoincrement),
                ("the name", alteration.changes_name),
            )
            if changed
        ]
        raise DistillError(
            f"{alteration_where(alteration)}: {self.name} cannot change {' and '.join(what)} "
            f"of an existing column in place; {batch_hint(alteration.table_name)}"
        )

    def add_constraint_by_rebuild(self, constraint: sa.Constraint, *, where: str = "") -> None:
        """Add `constraint` by recreating the table; this backend cannot."""
        raise self.cannot_add_constraint(
            constraint, where=where or constraint_where("create", constraint)
        )

    def drop_constraint_by_rebuild(
        self, constraint: sa.Constraint, *, if_exists: bool = False
    ) -> None:
        """Drop `constraint` by recreating the table; this backend cannot."""
        raise DistillError(
            f"{constraint_where('drop', constraint)}: {self.name} cannot drop a constraint "
            f"from an existing table; {batch_hint(constraint.table.name)}"
        )

    def add_column_needs_rebuild(self, column: sa.Column[Any], *, inline_references: bool) -> bool:
        """True when ADD COLUMN cannot add this column and the table must be recreated."""
        return False

    def rebuild_table(
        self,
        table_name: str,
        schema: str | None,
        *,
        where: str,
        plan: Callable[[sa.Table, Sequence[str]], TableRebuild],
        renames: Sequence[tuple[str, str]] = (),
        reflect: Callable[[sa.Connection], sa.Table] | None = None,
        source: sa.Table | None = None,
    ) -> None:
        """Recreate the table online under guard, keeping its rows; this backend cannot."""
        raise DistillError(
            f"{where}: {self.name} has no guarded online rebuild of table {table_name}; "
            f"{batch_hint(table_name)}"
        )

    def reflect_for_rebuild(
        self,
        connection: sa.Connection,
        table_name: str,
        *,
        schema: str | None = None,
        reflect_args: Sequence[Any] = (),
        reflect_kwargs: Mapping[str, Any] | None = None,
    ) -> sa.Table:
        """The table's full current definition, read to recreate it (SQLAlchemy's reflection)."""
        return reflect_table(
            connection,
            table_name,
            schema=schema,
            reflect_args=reflect_args,
            reflect_kwargs=reflect_kwargs,
        )

    # --- pieces the directives share; dialects override these ---

    def creates(self, constraint: sa.Constraint) -> bool:
        """False for a type's CHECK the backend does not need (e.g. native BOOLEAN)."""
        rule = getattr(constraint, "_create_rule", None)
        return rule is None or bool(rule(self))

    def inline_in_add_column(self, constraint: sa.Constraint, inline_references: bool) -> bool:
        """Whether ADD COLUMN writes `constraint` inline instead of a separate ALTER."""
        return inline_references and _single_column_fk(constraint)

    def cannot_add_constraint(self, constraint: sa.Constraint, *, where: str) -> DistillError:
        """The error for a constraint this backend cannot add to an existing table."""
        table = constraint.table
        label = f"{table.schema}.{table.name}" if table.schema else table.name
        return DistillError(
            f"{where}: {self.name} cannot add a {constraint_kind(constraint)} constraint to "
            f"the existing table {label}"
        )


# constraint class -> (its word in a directive's name, its SQL keyword)
_CONSTRAINT_KINDS: dict[type[sa.Constraint], tuple[str, str]] = {
    sa.ForeignKeyConstraint: ("foreign_key", "FOREIGN KEY"),
    sa.UniqueConstraint: ("unique_constraint", "UNIQUE"),
    sa.CheckConstraint: ("check_constraint", "CHECK"),
    sa.PrimaryKeyConstraint: ("primary_key", "PRIMARY KEY"),
}


def _kind_of(constraint: sa.Constraint) -> tuple[str, str] | None:
    return next(
        (kinds for cls, kinds in _CONSTRAINT_KINDS.items() if isinstance(constraint, cls)), None
    )


def constraint_where(verb: str, constraint: sa.Constraint) -> str:
    """`create_unique_constraint('uq', 'table')` and the like, for messages."""
    kinds = _kind_of(constraint)
    kind = "constraint" if verb == "drop" or kinds is None else kinds[0]
    table = constraint.table
    label = f"{table.schema}.{table.name}" if table.schema else table.name
    name = None if constraint.name is None else str(constraint.name)
    return f"{verb}_{kind}({name!r}, {label!r})"


def constraint_kind(constraint: sa.Constraint) -> str:
    """FOREIGN KEY, UNIQUE, CHECK or PRIMARY KEY."""
    kinds = _kind_of(constraint)
    return "a" if kinds is None else kinds[1]


def _single_column_fk(constraint: sa.Constraint) -> bool:
    return isinstance(constraint, sa.ForeignKeyConstraint) and len(constraint.elements) == 1


def _has_clause(row: Mapping[str, Any]) -> bool:
    return any(isinstance(value, ClauseElement) for value in row.values())


def _checked_rows(
    table: sa.Table | sa.TableClause, rows: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    where = f"bulk_insert({table.name!r}, ...)"
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Iterable):
        raise WrongArgumentType(f"{where}: rows must be a list of dicts, got {type(rows).__name__}")
    rows = list(rows)
    columns = set(table.c.keys())
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            raise WrongArgumentType(
                f"{where}: row {number} is a {type(row).__name__}; each row must be a dict "
                "of column name to value"
            )
        unknown = sorted(set(row) - columns)
        if unknown:
            raise DistillError(
                f"{where}: row {number} has {', '.join(map(repr, unknown))}, which "
                f"{'is not a column' if len(unknown) == 1 else 'are not columns'} of the "
                f"table (columns: {', '.join(sorted(columns))}); add it to the table "
                "passed to bulk_insert"
            )
    return [dict(row) for row in rows]


def impl_class(dialect_name: str) -> type[DialectImpl]:
    """The DialectImpl registered for a dialect name (the generic one when none is)."""
    return _registry.get(dialect_name, DialectImpl)
