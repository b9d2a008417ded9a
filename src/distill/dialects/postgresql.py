"""PostgreSQL: transactional DDL, CONCURRENTLY, comments, native ENUM types, USING, and
the fix for an exhausted lock table.

Named ENUM types follow one rule: a directive that brings a column in creates the
column's ENUM type when the database does not have it yet (create_table, add_column,
alter_column's new type_); a directive that takes a column away whose definition it
knows (the reverse of create_table / add_column, autogenerate's drops) drops the type
when nothing else uses it any more. A drop given only a name (`op.drop_table("t")`)
never drops a type: Alembic-era downgrades drop their types themselves right after.
Both checks run in the database (a DO block), so online and offline behave the same.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ENUM, CreateEnumType, DropEnumType
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import ExecutableDDLElement
from sqlalchemy.sql.compiler import DDLCompiler

from distill.dialects.alteration import ColumnAlteration
from distill.dialects.base import DialectImpl
from distill.dialects.ddl import ColumnRename, alter_table, format_column
from distill.dialects.deploy_lock import DeployLock
from distill.dialects.postgresql_locks import AdvisoryDeployLock, lock_contention, set_lock_timeout
from distill.dialects.postgresql_objects import postgresql_objects
from distill.dialects.raw_objects import RawObject


class IgnoringError(ExecutableDDLElement):
    """A DDL statement run in a DO block that ignores one PostgreSQL error condition."""

    def __init__(self, element: ExecutableDDLElement, condition: str) -> None:
        self.element = element
        self.condition = condition


@compiles(IgnoringError, "postgresql")
def _compile_ignoring(element: IgnoringError, compiler: DDLCompiler, **kw: Any) -> str:
    inner = str(compiler.process(element.element, **kw))
    quote = "$$" if "$$" not in inner else "$distill$"
    return f"DO {quote}BEGIN {inner}; EXCEPTION WHEN {element.condition} THEN NULL; END{quote}"


@compiles(ColumnRename, "postgresql")
def _compile_rename(element: ColumnRename, compiler: DDLCompiler, **kw: Any) -> str:
    # PostgreSQL's own spelling (COLUMN is optional), as Alembic writes it
    return (
        f"{alter_table(compiler, element.table_name, element.schema)} RENAME "
        f"{format_column(compiler, element.column_name)} TO "
        f"{format_column(compiler, element.new_name)}"
    )


# SQLSTATE -> what to do about it
_HINTS = {
    "42P01": "Check the table name (and schema=)",
    "42703": "Check the column name",
    "42704": "Check the name; drop_constraint(..., if_exists=True) skips an absent constraint",
    "42710": "An object with that name already exists; pick another name or drop it first",
    "42P07": "A table or index with that name already exists; pick another name",
    "42701": "The table already has a column with that name",
    "23502": (
        'Some rows hold NULL in that column: fill them first, e.g. op.execute("UPDATE '
        '<table> SET <column> = <value> WHERE <column> IS NULL")'
    ),
    "23505": "Existing rows hold duplicate values: remove the duplicates first",
    "23503": "Existing rows reference missing rows: fix the data first",
    "23514": "Existing rows violate the CHECK condition: fix the data first",
    "25001": (
        "This statement cannot run inside a transaction: put it in "
        "`with op.get_context().autocommit_block():`"
    ),
    "2BP01": "Other objects still depend on it: drop or alter them first",
}


class PostgreSQLImpl(DialectImpl):
    """PostgreSQL: almost everything in place, inside a transaction."""

    dialect_names = ("postgresql",)

    can_rollback_ddl = True
    supports_concurrent_index = True
    supports_column_if_exists = True
    supports_constraint_if_exists = True
    supports_exclude_constraints = True
    constraint_names_per_schema = True

    @classmethod
    def raw_objects(cls, connection: sa.Connection) -> list[RawObject]:
        """Views, and sequences, functions, procedures and triggers (postgresql_objects.py)."""
        return postgresql_objects(connection, super().raw_objects(connection))

    @classmethod
    def url_for_schema(cls, url: sa.URL, schema: str) -> sa.URL:
        """The session's search_path starts with `schema` (libpq's `options`), then public."""
        name = schema if re.fullmatch(r"[a-z_][a-z0-9_$]*", schema) else _quoted(schema)
        setting = f"-csearch_path={name},public".replace(" ", "\\ ")
        existing = url.query.get("options")
        if isinstance(existing, tuple):
            existing = " ".join(existing)
        options = f"{existing} {setting}" if existing else setting
        return url.update_query_dict({"options": options})

    # --- ENUM types that come and go with their columns ---

    def named_enums(self, columns: Any) -> list[ENUM]:
        """The ENUM types (also inside ARRAY) the columns use and distill may manage."""
        found: list[ENUM] = []
        for column in columns:
            type_ = column.type
            if isinstance(type_, sa.ARRAY):
                type_ = type_.item_type
            if not isinstance(type_, sa.Enum):
                continue
            impl = type_.dialect_impl(self.dialect)
            if not isinstance(impl, ENUM):
                continue
            managed = impl.create_type
            known = any((impl.name, impl.schema) == (e.name, e.schema) for e in found)
            if managed and impl.name and not known:
                found.append(impl)
        return found

    def create_enums(self, columns: Any) -> None:
        """CREATE TYPE for each new ENUM (not made earlier in this run, not in the database)."""
        made = self.memo.setdefault("pg_enum", set())
        for enum in self.named_enums(columns):
            key = (enum.schema, enum.name)
            if key in made:
                continue
            made.add(key)
            self.execute(IgnoringError(CreateEnumType(enum), "duplicate_object"))

    def drop_unused_enums(self, columns: Any) -> None:
        """DROP TYPE for each ENUM of the columns that nothing else uses any more."""
        made = self.memo.setdefault("pg_enum", set())
        for enum in self.named_enums(columns):
            made.discard((enum.schema, enum.name))
            # still used elsewhere, or already gone: either way there is nothing to do
            condition = "dependent_objects_still_exist OR undefined_object"
            self.execute(IgnoringError(DropEnumType(enum), condition))

    # --- directives ---

    def create_table(self, table: sa.Table, *, if_not_exists: bool = False) -> None:
        """CREATE TABLE; with IF NOT EXISTS its ENUM types are made only when new."""
        if if_not_exists:
            self.create_enums(table.columns)
        super().create_table(table, if_not_exists=if_not_exists)

    def drop_table(self, table: sa.Table, *, if_exists: bool = False) -> None:
        """DROP TABLE, then the ENUM types of its known columns that are no longer used."""
        super().drop_table(table, if_exists=if_exists)
        self.drop_unused_enums(table.columns)

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
        """ADD COLUMN, creating its ENUM type first when the database lacks it."""
        self.create_enums([column])
        super().add_column(
            table_name,
            column,
            schema=schema,
            if_not_exists=if_not_exists,
            inline_references=inline_references,
            inline_primary_key=inline_primary_key,
        )

    def drop_column(
        self,
        table_name: str,
        column: sa.Column[Any] | str,
        *,
        schema: str | None = None,
        if_exists: bool = False,
    ) -> None:
        """DROP COLUMN, then its ENUM type when known and no longer used."""
        super().drop_column(table_name, column, schema=schema, if_exists=if_exists)
        if not isinstance(column, str):
            self.drop_unused_enums([column])

    def alter_column(self, alteration: ColumnAlteration) -> None:
        """ALTER COLUMN; a new ENUM type_ is created first when the database lacks it."""
        if alteration.type_ is not None:
            self.create_enums([sa.Column(alteration.name, alteration.type_)])
        super().alter_column(alteration)

    def create_index(self, index: sa.Index, *, if_not_exists: bool = False) -> None:
        """CREATE INDEX; INCLUDE columns join the stand-in table so they can be rendered."""
        table = index.table
        for name in index.dialect_options["postgresql"]["include"] or ():
            if table is not None and isinstance(name, str) and name not in table.c:
                table.append_column(sa.Column(name, sa.types.NULLTYPE))
        if not index.dialect_options["postgresql"]["concurrently"]:
            super().create_index(index, if_not_exists=if_not_exists)
            return
        table_name = table.name if table is not None else None
        self.run(
            sa.schema.CreateIndex(index, if_not_exists=if_not_exists),
            where=f"create_index({index.name!r}, {table_name!r}, postgresql_concurrently=True)",
        )

    def drop_index(self, index: sa.Index, *, if_exists: bool = False) -> None:
        """DROP INDEX; CONCURRENTLY is explained when it meets a transaction."""
        if not index.dialect_options["postgresql"]["concurrently"]:
            super().drop_index(index, if_exists=if_exists)
            return
        self.run(
            sa.schema.DropIndex(index, if_exists=if_exists),
            where=f"drop_index({index.name!r}, postgresql_concurrently=True)",
        )

    def refusal_hint(self, error: sa.exc.DBAPIError) -> str | None:
        """What to do, from the SQLSTATE (and PostgreSQL's own HINT for casts)."""
        code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        if code == "42804":
            diag = getattr(error.orig, "diag", None)
            found = re.search(r'USING (.+?)"', str(getattr(diag, "message_hint", "") or ""))
            example = found.group(1) if found else "<column>::<new type>"
            return (
                "PostgreSQL cannot convert the existing values by itself: pass "
                f"postgresql_using='{example}' (an expression computing each new value)"
            )
        return _HINTS.get(str(code)) if code else None

    def failure_hint(self, error: BaseException, *, per_migration: bool) -> str | None:
        """The fix for an exhausted lock table (max_locks_per_transaction)."""
        if not is_lock_exhaustion(error):
            return None
        if per_migration:
            return (
                "The database ran out of lock slots inside one revision: raise "
                "max_locks_per_transaction on the server, or split the revision"
            )
        return (
            "The database ran out of lock slots (max_locks_per_transaction) because the "
            "whole run holds its locks in one transaction: remove "
            "`transaction_per_migration=False` from env.py's context.configure() (each "
            "revision then runs in its own transaction), or raise "
            "max_locks_per_transaction on the server"
        )

    @classmethod
    def deploy_lock(cls, connection: sa.Connection, name: str) -> DeployLock:
        """An advisory lock held by a session of its own (postgresql_locks.py)."""
        return AdvisoryDeployLock(connection, name)

    def defer_commit_flush(self, connection: sa.Connection) -> None:
        """SET LOCAL synchronous_commit TO OFF: the COMMIT does not wait for its WAL flush
        (the server flushes it within a fraction of a second, and the next durable commit
        waits for it); a server crash in between loses whole revisions, never half of one."""
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")

    def set_ddl_lock_timeout(self, connection: sa.Connection, seconds: float) -> bool:
        """SET LOCAL lock_timeout."""
        return set_lock_timeout(connection, seconds)

    def lock_contention(self, connection: sa.Connection, error: BaseException) -> str | None:
        """The table a timed-out statement waited for and the sessions holding it."""
        return lock_contention(connection, error)


def is_lock_exhaustion(error: BaseException) -> bool:
    """True for PostgreSQL's "out of shared memory" that max_locks_per_transaction causes."""
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    orig = error.orig
    texts = [str(orig)]
    diag = getattr(orig, "diag", None)
    hint = getattr(diag, "message_hint", None) or getattr(orig, "hint", None)
    if hint:
        texts.append(str(hint))
    if any("max_locks_per_transaction" in text for text in texts):
        return True
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return sqlstate == "53200" and "out of shared memory" in texts[0]


def _quoted(name: str) -> str:
    """A PostgreSQL quoted identifier."""
    return '"' + name.replace('"', '""') + '"'
