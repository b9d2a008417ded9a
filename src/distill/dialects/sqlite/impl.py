"""SQLiteImpl: what SQLite's ALTER TABLE cannot do, done by rebuilding the table (rebuild.py).

Online, a column or constraint change SQLite cannot ALTER recreates the table inside the
migration's transaction, keeping rows, indexes, triggers, views and foreign keys, or
refuses with nothing changed. Offline nothing can be read from the database, so such a
change needs batch mode with `copy_from`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import ClauseElement, TextClause

from distill.dialects.alteration import ColumnAlteration, alteration_where
from distill.dialects.base import DialectImpl, Sink, constraint_where
from distill.dialects.ddl import sorted_constraints
from distill.dialects.deploy_lock import DeployLock
from distill.dialects.raw_objects import RawObject
from distill.dialects.run_hooks import DDLTransactions
from distill.dialects.sqlite.deploy_lock import deploy_lock as sqlite_deploy_lock
from distill.dialects.sqlite.raw_objects import sqlite_objects
from distill.dialects.sqlite.transactions import sqlite_ddl_transactions
from distill.errors import DistillError

if TYPE_CHECKING:
    from distill.dialects.table_rebuild import TableRebuild

# The rebuild machinery (rebuild.py, stored_schema.py, table_rebuild.py) is imported by
# the methods that rebuild: most runs never do, and `current` or a no-op `upgrade` should
# not pay for importing it.

# A default SQLite refuses in ADD COLUMN: CURRENT_* and anything in parentheses.
_NON_CONSTANT_DEFAULT = re.compile(r"^\s*(\(|CURRENT_(TIME|DATE|TIMESTAMP)\b)", re.IGNORECASE)


class SQLiteImpl(DialectImpl):
    """SQLite: transactional DDL; what ALTER cannot do, a table rebuild does."""

    dialect_names = ("sqlite",)

    # pysqlite runs DDL outside transactions unless told otherwise; ddl_transactions()
    # makes it BEGIN for real, so SQLite DDL rolls back as on PostgreSQL.
    can_rollback_ddl = True
    can_alter_column = False
    can_alter_constraints = False
    can_rebuild_table = True
    # column affinity converts values itself, without losing any; a CAST would force the
    # conversion ('2020-01-01' AS DATETIME is 2020)
    rebuild_casts_types = False

    def __init__(
        self,
        dialect: Dialect,
        sink: Sink,
        *,
        transactional_ddl: bool | None = None,
        opts: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(dialect, sink, transactional_ddl=transactional_ddl, opts=opts)
        version = dialect.server_version_info  # None offline: assume a current SQLite
        if version is not None:
            self.can_drop_column = tuple(version) >= (3, 35, 0)
            self.can_rename_column = tuple(version) >= (3, 25, 0)

    @classmethod
    def view_statement(cls, name: str, definition: str) -> str:
        """SQLite keeps a view's whole CREATE VIEW statement: it is the definition."""
        return definition.strip().rstrip(";")

    @classmethod
    def raw_objects(cls, connection: sa.Connection) -> list[RawObject]:
        """Views and triggers, as sqlite_master keeps them (raw_objects.py)."""
        return sqlite_objects(connection)

    @classmethod
    def ddl_transactions(cls, connection: sa.Connection) -> DDLTransactions:
        """The take-over that makes the sqlite3 driver BEGIN before DDL (transactions.py)."""
        return sqlite_ddl_transactions(connection)

    @classmethod
    def bulk_inspector(cls, connection: sa.Connection) -> sa.Inspector:
        """SQLAlchemy's reflection fed by one query per kind of object (bulk_reflection.py)."""
        from distill.dialects.sqlite.bulk_reflection import bulk_inspector

        return bulk_inspector(connection)

    @classmethod
    def deploy_lock(cls, connection: sa.Connection, name: str) -> DeployLock:
        """A file lock beside the database file (deploy_lock.py)."""
        return sqlite_deploy_lock(connection, name)

    def inline_in_add_column(self, constraint: sa.Constraint, inline_references: bool) -> bool:
        """REFERENCES and CHECK go into the column: SQLite has no ADD CONSTRAINT.

        Reflection reads neither the name nor the ON DELETE / ON UPDATE / DEFERRABLE of a
        REFERENCES clause written on a column, so a foreign key with any of them makes the
        table be rebuilt, with a table-level CONSTRAINT that reflects back as created
        (offline, where nothing can be rebuilt, the clause stays on the column).
        """
        if isinstance(constraint, sa.CheckConstraint):
            return True
        if not isinstance(constraint, sa.ForeignKeyConstraint) or len(constraint.elements) != 1:
            return False
        if inline_references or self.as_sql or not self.can_rebuild_table:
            return True
        options = (
            constraint.ondelete,
            constraint.onupdate,
            constraint.deferrable,
            constraint.initially,
            constraint.match,
        )
        from distill.dialects.table_definition import name_of

        return name_of(constraint) is None and all(option is None for option in options)

    # --- directives SQLite can only partly ALTER ---

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
        """ADD COLUMN, or a rebuild for a column that SQLite's ADD COLUMN refuses."""
        if not self.add_column_needs_rebuild(column, inline_references=inline_references):
            super().add_column(
                table_name,
                column,
                schema=schema,
                if_not_exists=if_not_exists,
                inline_references=inline_references,
                inline_primary_key=inline_primary_key,
            )
            return
        where = f"add_column({table_name!r}, {column.name!r})"
        if if_not_exists:
            raise self._refuse(where, "ADD COLUMN IF NOT EXISTS")
        self.rebuild(table_name, schema, where=where, change=lambda r: r.add_column(column))

    def add_column_needs_rebuild(self, column: sa.Column[Any], *, inline_references: bool) -> bool:
        """True for what SQLite's ADD COLUMN refuses: a primary key, UNIQUE, NOT NULL without
        a default, a non-constant default, a stored generated column."""
        if not self.can_rebuild_table:
            return False
        default = column.server_default
        if isinstance(default, sa.Computed):
            if default.persisted:
                return True
        elif isinstance(default, sa.DefaultClause):
            argument = default.arg
            if isinstance(argument, TextClause):
                if _NON_CONSTANT_DEFAULT.match(argument.text):
                    return True
            elif isinstance(argument, ClauseElement):
                return True
        elif not column.nullable and not column.primary_key:
            return True
        if column.primary_key:
            return True
        table = column.table if isinstance(column.table, sa.Table) else None
        for constraint in sorted_constraints(table) if table is not None else []:
            if isinstance(constraint, sa.PrimaryKeyConstraint) or not self.creates(constraint):
                continue
            if not self.inline_in_add_column(constraint, inline_references):
                return True
        return False

    def drop_column(
        self,
        table_name: str,
        column: sa.Column[Any] | str,
        *,
        schema: str | None = None,
        if_exists: bool = False,
    ) -> None:
        """DROP COLUMN (SQLite >= 3.35) where SQLite allows it, else a table rebuild."""
        name = column if isinstance(column, str) else column.name
        where = f"drop_column({table_name!r}, {name!r})"
        label = f"{schema + '.' if schema else ''}{table_name}.{name}"
        if if_exists:
            raise self._refuse(where, "DROP COLUMN IF EXISTS")
        if not self.can_drop_column and (self.as_sql or not self.can_rebuild_table):
            version = ".".join(map(str, self.dialect.server_version_info or ()))
            raise DistillError(
                f"drop_column: SQLite {version} has no ALTER TABLE DROP COLUMN (it arrived "
                f"in 3.35), so {label} cannot be dropped in place; use batch mode: `with "
                f"op.batch_alter_table({table_name!r}) as batch_op: "
                f"batch_op.drop_column({name!r})`"
                + (" (offline, with copy_from=<the table as it is now>)" if self.as_sql else "")
            )
        if self.can_drop_column:
            try:
                super().drop_column(table_name, name, schema=schema)
                return
            except sa.exc.DBAPIError as error:
                # SQLite refuses for a column in an index, a key or a constraint
                reason = _refusal(error)
                if reason is None or self.as_sql:
                    raise
                if not self.can_rebuild_table:
                    raise DistillError(
                        f"drop_column: SQLite refused to drop {label} ({reason}); SQLite "
                        "cannot drop a column that is part of a primary key, a UNIQUE "
                        "constraint, an index or a table CHECK. Drop the index first, or let "
                        "distill rebuild the table (batch_alter_table with recreate='auto')"
                    ) from error
        self.rebuild(table_name, schema, where=where, change=lambda r: r.drop_column(name))

    # --- the rebuild hooks of DialectImpl ---

    def alter_column_by_rebuild(self, alteration: ColumnAlteration) -> None:
        """Type, nullability, default (and a rename on old SQLite) by rebuilding the table."""
        if not self.can_rebuild_table:
            super().alter_column_by_rebuild(alteration)
            return
        renames: list[tuple[str, str]] = []
        remaining = alteration
        if alteration.changes_name and self.can_rename_column and not self.as_sql:
            new_name = str(alteration.new_column_name)
            renames.append((alteration.column_name, new_name))
            remaining = replace(alteration, column_name=new_name, new_column_name=None)
        self.rebuild(
            alteration.table_name,
            alteration.schema,
            where=alteration_where(alteration),
            change=lambda r: r.alter_column(remaining),
            renames=renames,
        )

    def add_constraint_by_rebuild(self, constraint: sa.Constraint, *, where: str = "") -> None:
        """ADD CONSTRAINT by rebuilding the table."""
        if not self.can_rebuild_table:
            super().add_constraint_by_rebuild(constraint, where=where)
            return
        table = constraint.table
        self.rebuild(
            table.name,
            table.schema,
            where=where or constraint_where("create", constraint),
            change=lambda r: r.add_constraint(constraint, require_name=False),
        )

    def drop_constraint_by_rebuild(
        self, constraint: sa.Constraint, *, if_exists: bool = False
    ) -> None:
        """DROP CONSTRAINT by rebuilding the table.

        SQLite keeps no name for constraints declared without one; the naming convention
        of target_metadata (if any) names them, so that autogenerate's drop_constraint
        finds what the models call them.
        """
        if not self.can_rebuild_table:
            super().drop_constraint_by_rebuild(constraint, if_exists=if_exists)
            return
        table = constraint.table
        target = self.opts.get("target_metadata")
        convention = getattr(target, "naming_convention", None)
        self.rebuild(
            table.name,
            table.schema,
            where=constraint_where("drop", constraint),
            change=lambda r: r.drop_constraint(constraint, missing_ok=if_exists),
            convention=dict(convention) if convention else None,
        )

    # --- the rebuild ---

    def rebuild(
        self,
        table_name: str,
        schema: str | None,
        *,
        where: str,
        change: Callable[[TableRebuild], None],
        renames: Sequence[tuple[str, str]] = (),
        convention: Mapping[str, Any] | None = None,
    ) -> None:
        """Recreate a table with `change` applied to its current definition."""
        if self.as_sql:
            raise DistillError(
                f"{where}: SQLite cannot do this with ALTER TABLE. distill rebuilds the table "
                "for you when it runs against the database, but an offline (--sql) script "
                "cannot read the table's current definition. Write the change in batch mode "
                f"with the definition given: `with op.batch_alter_table({table_name!r}, "
                "copy_from=sa.Table(...the table as it is now...)) as batch_op:`, or run the "
                "migration online"
            )

        from distill.dialects.table_rebuild import TableRebuild, with_naming_convention

        def reflect(connection: sa.Connection) -> sa.Table:
            table = self.reflect_for_rebuild(connection, table_name, schema=schema)
            return with_naming_convention(table, convention)

        def plan(table: sa.Table, indexes: Sequence[str]) -> TableRebuild:
            rebuild = TableRebuild(
                table,
                dialect=self.dialect,
                reflected=True,
                known_indexes=indexes,
                casts_types=self.rebuild_casts_types,
            )
            change(rebuild)
            return rebuild

        self.rebuild_table(
            table_name, schema, where=where, plan=plan, renames=renames, reflect=reflect
        )

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
        """The guarded online rebuild (batch mode uses it too); see rebuild_sqlite_table."""
        from distill.dialects.sqlite.rebuild import rebuild_sqlite_table

        rebuild_sqlite_table(
            self,
            table_name,
            schema=schema,
            plan=plan,
            where=where,
            renames=renames if self.can_rename_column else (),
            reflect=reflect,
            source=source,
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
        """Reflection completed from the stored CREATE TABLE text: collations, exact
        defaults, generated columns, AUTOINCREMENT, inline REFERENCES clauses."""
        from distill.dialects.sqlite.stored_schema import reflect_table

        return reflect_table(
            connection,
            table_name,
            schema=schema,
            reflect_args=reflect_args,
            reflect_kwargs=reflect_kwargs,
        )


def _refusal(error: BaseException) -> str | None:
    """SQLite's reason for refusing DROP COLUMN, found anywhere in the exception chain."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa.exc.DBAPIError):
            message = str(current.orig)
            if message.startswith("cannot drop") or "after drop column" in message:
                return message
        current = current.__cause__ or current.__context__
    return None
