"""MySQL and MariaDB: DDL commits at once, DROP INDEX needs its table, inline comments,
and ALTER of one column attribute restates the whole column (MODIFY / CHANGE).

MODIFY rewrites type, nullability, default, AUTO_INCREMENT and comment together, so a
change of one of them must carry the others. Online, distill reads the column from the
database and carries what the revision did not say (existing_* arguments still win);
offline it cannot, and needs at least existing_type, as Alembic does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.types import TypeEngine

from distill.dialects.alteration import ColumnAlteration, alteration_where
from distill.dialects.base import DialectImpl, Sink, constraint_where
from distill.dialects.ddl import (
    AlterColumn,
    DropConstraintByName,
    RenameTable,
    alter_table,
    default_change,
    format_column,
    format_default,
)
from distill.dialects.deploy_lock import DeployLock
from distill.dialects.mysql_locks import NamedDeployLock
from distill.dialects.mysql_objects import mysql_objects
from distill.dialects.raw_objects import RawObject, view_objects
from distill.errors import DistillError


class ChangeColumn(AlterColumn):
    """ALTER TABLE ... MODIFY c <spec> (same name) or CHANGE c d <spec> (renamed)."""

    def __init__(
        self,
        table_name: str,
        column_name: str,
        *,
        schema: str | None,
        new_name: str,
        type_: TypeEngine[Any],
        nullable: bool,
        default: Any,
        autoincrement: bool,
        comment: str | None,
        change: bool = False,
    ) -> None:
        super().__init__(table_name, column_name, schema)
        self.new_name = new_name
        self.change = change or new_name != column_name
        self.type_ = type_
        self.nullable = nullable
        self.default = default
        self.autoincrement = autoincrement
        self.comment = comment


@compiles(ChangeColumn, "mysql", "mariadb")
def _compile_change_column(element: ChangeColumn, compiler: DDLCompiler, **kw: Any) -> str:
    spec = compiler.dialect.type_compiler_instance.process(element.type_)
    spec += " NULL" if element.nullable else " NOT NULL"
    if element.autoincrement:
        spec += " AUTO_INCREMENT"
    if element.default is not None and element.default is not False:
        spec += f" DEFAULT {format_default(compiler, element.default)}"
    if element.comment is not None:
        spec += " COMMENT " + compiler.sql_compiler.render_literal_value(
            element.comment, sa.String()
        )
    column = format_column(compiler, element.column_name)
    target = (
        f"MODIFY {column}"
        if not element.change
        else f"CHANGE {column} {format_column(compiler, element.new_name)}"
    )
    return f"{alter_table(compiler, element.table_name, element.schema)} {target} {spec}"


@compiles(RenameTable, "mysql", "mariadb")
def _compile_rename_table(element: RenameTable, compiler: DDLCompiler, **kw: Any) -> str:
    # MySQL reads an unqualified new name as "in the current database": keep the schema
    new = compiler.preparer.format_table(sa.table(element.new_table_name, schema=element.schema))
    return f"{alter_table(compiler, element.table_name, element.schema)} RENAME TO {new}"


def _mysql_proper(dialect: Dialect) -> bool:
    """True only when the server is known to be MySQL (not MariaDB, not unknown offline)."""
    return dialect.server_version_info is not None and not getattr(dialect, "is_mariadb", False)


@compiles(DropConstraintByName, "mysql", "mariadb")
def _compile_drop_constraint(
    element: DropConstraintByName, compiler: DDLCompiler, **kw: Any
) -> str:
    constraint = element.constraint
    preparer = compiler.preparer
    table = preparer.format_table(constraint.table)
    name = preparer.format_constraint(constraint)
    if_exists = "IF EXISTS " if element.if_exists else ""
    if isinstance(constraint, sa.PrimaryKeyConstraint):
        return f"ALTER TABLE {table} DROP PRIMARY KEY"
    if isinstance(constraint, sa.ForeignKeyConstraint):
        return f"ALTER TABLE {table} DROP FOREIGN KEY {if_exists}{name}"
    if isinstance(constraint, sa.UniqueConstraint):
        return f"ALTER TABLE {table} DROP INDEX {if_exists}{name}"
    if isinstance(constraint, sa.CheckConstraint) and _mysql_proper(compiler.dialect):
        return f"ALTER TABLE {table} DROP CHECK {name}"
    # MariaDB, and MySQL >= 8.0.19, drop a CHECK with the standard statement
    return f"ALTER TABLE {table} DROP CONSTRAINT {if_exists}{name}"


_DATA = (
    "Existing rows do not fit the new definition (NULL in a NOT NULL column, or values "
    'the new type cannot hold): fix those rows first with op.execute("UPDATE ...")'
)

# MySQL error number -> what to do about it
_HINTS = {
    1146: "Check the table name (and schema=)",
    1054: "Check the column name",
    1091: (
        "No such column, index or constraint: check the name; drop_constraint(..., "
        "if_exists=True) skips an absent constraint"
    ),
    1553: (
        "A foreign key needs this index: drop the foreign key first "
        "(op.drop_constraint('<fk name>', '<table>', type_='foreignkey')), or create "
        "another index on the foreign key's columns before dropping this one"
    ),
    1828: (
        "A foreign key uses this column: drop the foreign key first "
        "(op.drop_constraint('<fk name>', '<table>', type_='foreignkey'))"
    ),
    1062: "Existing rows hold duplicate values: remove the duplicates first",
    1138: (
        'Some rows hold NULL in that column: fill them first, e.g. op.execute("UPDATE '
        '<table> SET <column> = <value> WHERE <column> IS NULL")'
    ),
    1265: _DATA,
    1366: _DATA,
    1292: _DATA,
    1050: "A table with that name already exists",
    1060: "The table already has a column with that name",
    1061: "An index or constraint with that name already exists on the table",
    1826: "A foreign key with that name already exists in the database",
    1452: "Existing rows reference missing rows: fix the data first",
    1215: "The referenced columns need a primary key or index of the same type",
    4025: "Existing rows violate the CHECK condition: fix the data first",
    3819: "Existing rows violate the CHECK condition: fix the data first",
}


class MySQLImpl(DialectImpl):
    """MySQL / MariaDB: every DDL statement commits implicitly."""

    dialect_names = ("mysql", "mariadb")

    can_rollback_ddl = False
    drop_index_needs_table = True
    alter_column_restates_column = True

    @classmethod
    def view_statement(cls, name: str, definition: str) -> str:
        """SHOW CREATE's statement without the DEFINER, which names this server's user."""
        return re.sub(r"\s+DEFINER=\S+", "", definition.strip().rstrip(";"), count=1)

    @classmethod
    def raw_objects(cls, connection: sa.Connection) -> list[RawObject]:
        """Views, and sequences, routines and triggers (mysql_objects.py)."""
        return mysql_objects(connection, view_objects(connection, cls.view_statement, "`"))

    def __init__(
        self,
        dialect: Dialect,
        sink: Sink,
        *,
        transactional_ddl: bool | None = None,
        opts: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(dialect, sink, transactional_ddl=transactional_ddl, opts=opts)
        # MariaDB has IF [NOT] EXISTS for columns, indexes and constraints, MySQL has
        # none. Offline the server is unknown (a mysql:// URL may mean MariaDB): write
        # what was asked.
        mariadb = not _mysql_proper(dialect)
        self.supports_column_if_exists = mariadb
        self.supports_index_if_exists = mariadb
        self.supports_constraint_if_exists = mariadb

    # --- alter_column: MODIFY / CHANGE carrying what does not change ---

    def alter_column(self, alteration: ColumnAlteration) -> None:
        """Fill the column's current definition from the database, then restate it."""
        where = alteration_where(alteration)
        for default in (alteration.server_default, alteration.existing_server_default):
            if isinstance(default, sa.Identity):
                raise DistillError(
                    f"{where}: MySQL has no identity columns (sa.Identity); use "
                    "autoincrement=True on an integer primary key column instead"
                )
        super().alter_column(self.with_current_definition(alteration))

    def with_current_definition(self, alteration: ColumnAlteration) -> ColumnAlteration:
        """`alteration` with existing_* filled from the database where not given."""
        changes = alteration.changes_definition or alteration.changes_comment
        if not (changes or alteration.changes_name):
            return alteration
        found = self.reflected_column(
            alteration.table_name,
            alteration.column_name,
            schema=alteration.schema,
            where=alteration_where(alteration),
        )
        if found is None:
            return alteration
        default = found.get("default")
        return replace(
            alteration,
            existing_type=alteration.existing_type or found["type"],
            existing_nullable=(
                found["nullable"]
                if alteration.existing_nullable is None
                else alteration.existing_nullable
            ),
            existing_server_default=(
                (None if default is None else sa.text(default))
                if alteration.existing_server_default is False
                else alteration.existing_server_default
            ),
            existing_comment=(
                found.get("comment")
                if alteration.existing_comment is None
                else alteration.existing_comment
            ),
            existing_autoincrement=(
                bool(found.get("autoincrement"))
                if alteration.existing_autoincrement is None
                else alteration.existing_autoincrement
            ),
        )

    def alter_column_statements(self, alteration: ColumnAlteration) -> list[sa.Executable]:
        """One MODIFY / CHANGE, or ALTER COLUMN ... SET / DROP DEFAULT alone."""
        type_ = alteration.type_ if alteration.type_ is not None else alteration.existing_type
        functional_default = (
            type_ is not None
            and type_._type_affinity is sa.DateTime
            and alteration.changes_default
            and alteration.server_default is not None
        )
        restate = (
            alteration.changes_name
            or functional_default
            or alteration.changes_type
            or alteration.changes_nullable
            or alteration.changes_autoincrement
            or alteration.changes_comment
        )
        if not restate:
            return [default_change(alteration)] if alteration.changes_default else []
        if type_ is None:
            raise DistillError(
                f"{alteration_where(alteration)}: All MySQL CHANGE/MODIFY COLUMN operations "
                "require the existing type. MySQL rewrites the whole column, so pass "
                "existing_type= (and existing_nullable=, existing_server_default=, "
                "existing_comment= for what must be kept); online distill reads them from "
                "the database, offline (--sql) it cannot"
            )
        column = alteration.column_after()
        return [
            ChangeColumn(
                alteration.table_name,
                alteration.column_name,
                schema=alteration.schema,
                new_name=alteration.name,
                type_=type_,
                nullable=bool(column.nullable),
                default=(
                    alteration.server_default
                    if alteration.changes_default
                    else alteration.existing_server_default
                ),
                autoincrement=bool(
                    alteration.autoincrement
                    if alteration.autoincrement is not None
                    else alteration.existing_autoincrement
                ),
                comment=column.comment,
                change=functional_default,  # Alembic's spelling for these
            )
        ]

    # --- constraints: each kind has its own DROP ---

    def add_constraint(self, constraint: sa.Constraint, *, where: str = "") -> None:
        """ADD CONSTRAINT; MySQL has no deferrable constraints and says so clearly."""
        if getattr(constraint, "deferrable", None) or getattr(constraint, "initially", None):
            raise DistillError(
                f"{where or constraint_where('create', constraint)}: MySQL has no deferrable "
                "constraints; leave deferrable= and initially= off for MySQL"
            )
        super().add_constraint(constraint, where=where)

    def drop_constraint(self, constraint: sa.Constraint, *, if_exists: bool = False) -> None:
        """DROP FOREIGN KEY / INDEX / CHECK / PRIMARY KEY; online the kind is looked up."""
        where = constraint_where("drop", constraint)
        known = type(constraint) is not sa.schema.Constraint
        if self.connection is not None and constraint.name is not None and (if_exists or not known):
            kind = self.constraint_kind_in_database(constraint)
            if kind is None:
                if if_exists:
                    return
                raise DistillError(
                    f"{where}: the table has no constraint named {constraint.name!r}; check "
                    "the name (MySQL names a primary key PRIMARY)"
                )
            if not known:
                constraint = _typed(kind, constraint)
            if_exists = False  # looked up already: no IF EXISTS needed (MySQL has none)
        elif not known:
            raise DistillError(
                f"{where}: No generic 'DROP CONSTRAINT' in MySQL - please specify "
                "constraint type: pass type_='foreignkey', 'unique', 'check' or 'primary' "
                "(online distill looks the kind up in the database; offline it cannot)"
            )
        super().drop_constraint(constraint, if_exists=if_exists)

    def constraint_kind_in_database(self, constraint: sa.Constraint) -> type[sa.Constraint] | None:
        """Which kind of constraint the database holds under that name (None: none)."""
        connection = self.connection
        assert connection is not None
        table, name = constraint.table, str(constraint.name)
        inspector = sa.inspect(connection)
        try:
            if (
                name.upper() == "PRIMARY"
                or inspector.get_pk_constraint(table.name, schema=table.schema).get("name") == name
            ):
                return sa.PrimaryKeyConstraint
            lookups: list[tuple[type[sa.Constraint], Any]] = [
                (sa.ForeignKeyConstraint, inspector.get_foreign_keys),
                (sa.UniqueConstraint, inspector.get_unique_constraints),
                (sa.CheckConstraint, inspector.get_check_constraints),
            ]
            for kind, lookup in lookups:
                if any(
                    item.get("name") == name for item in lookup(table.name, schema=table.schema)
                ):
                    return kind
        except sa.exc.NoSuchTableError:
            label = f"{table.schema}.{table.name}" if table.schema else table.name
            raise DistillError(
                f"{constraint_where('drop', constraint)}: table {label} does not exist; "
                "check the table name (and schema=)"
            ) from None
        return None

    def drop_index(self, index: sa.Index, *, if_exists: bool = False) -> None:
        """DROP INDEX ... ON table; an index a foreign key needs is explained."""
        if if_exists and not self.supports_index_if_exists:
            super().drop_index(index, if_exists=if_exists)  # refuses with the reason
            return
        table = index.table.name if index.table is not None else None
        self.run(
            sa.schema.DropIndex(index, if_exists=if_exists),
            where=f"drop_index({index.name!r}, {table!r})",
        )

    def refusal_hint(self, error: sa.exc.DBAPIError) -> str | None:
        """What to do, from the MySQL error number."""
        args = getattr(error.orig, "args", ())
        code = args[0] if args and isinstance(args[0], int) else None
        return _HINTS.get(code) if code is not None else None

    @classmethod
    def deploy_lock(cls, connection: sa.Connection, name: str) -> DeployLock:
        """GET_LOCK on a connection of its own (mysql_locks.py)."""
        return NamedDeployLock(connection, name)


def _typed(kind: type[sa.Constraint], constraint: sa.Constraint) -> sa.Constraint:
    """A constraint of `kind` with the name and table of a generic one."""
    typed: sa.Constraint
    if kind is sa.ForeignKeyConstraint:
        typed = sa.ForeignKeyConstraint([], [], name=constraint.name)
    elif kind is sa.CheckConstraint:
        typed = sa.CheckConstraint("", name=constraint.name)
    else:
        typed = kind(name=constraint.name)
    sa.Table(constraint.table.name, sa.MetaData(), typed, schema=constraint.table.schema)
    return typed
