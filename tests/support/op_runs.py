"""Test doubles for the runtime: a sink over a Connection, a sink writing a script, and a
MigrationContext stand-in, so op objects and dialect impls can be exercised directly."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from distill.dialects import DialectImpl, impl_for, render_for_script
from distill.operations import Operations


class ConnectionSink:
    """Online: run each statement on the connection, remembering what ran."""

    as_sql = False
    literal_binds = False

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect
        self.statements: list[Any] = []

    def execute(
        self,
        statement: sa.Executable | str,
        params: Any = None,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Any:
        connection = self.connection
        if execution_options:
            connection = connection.execution_options(**execution_options)
        if isinstance(statement, str):
            statement = sa.text(statement)
        self.statements.append(statement)
        return connection.execute(statement, params)  # type: ignore[call-overload]


class ScriptSink:
    """Offline: write each statement as Alembic does (terminator, blank line)."""

    as_sql = True

    def __init__(self, dialect: Dialect, *, literal_binds: bool = True) -> None:
        self.dialect = dialect
        self.literal_binds = literal_binds
        self.buffer = io.StringIO()

    def execute(
        self,
        statement: sa.Executable | str,
        params: Any = None,
        execution_options: Mapping[str, Any] | None = None,
    ) -> None:
        text = render_for_script(statement, self.dialect, literal_binds=self.literal_binds)
        self.buffer.write(text + ";\n\n")

    @property
    def script(self) -> str:
        return self.buffer.getvalue()


@dataclass
class Context:
    """The attributes of a MigrationContext that Operations uses."""

    impl: DialectImpl
    dialect: Dialect
    connection: Connection | None
    as_sql: bool
    opts: dict[str, Any] = field(default_factory=dict)


def offline_dialect(name: str) -> Dialect:
    """The dialect the stock env.py uses offline: from a bare URL, named paramstyle."""
    return sa.make_url(f"{name}://").get_dialect()(paramstyle="named")  # type: ignore[no-any-return]


@contextmanager
def online(connection: Connection, **opts: Any) -> Iterator[Operations]:
    """Operations running on `connection`, installed for `distill.op`."""
    impl = impl_for(connection.dialect, ConnectionSink(connection), opts=opts)
    context = Context(impl, connection.dialect, connection, False, opts)
    with Operations.context(context) as operations:
        yield operations


@contextmanager
def offline(
    dialect: str | Dialect, *, literal_binds: bool = True, **opts: Any
) -> Iterator[tuple[Operations, ScriptSink]]:
    """Operations writing a script for `dialect`, installed for `distill.op`."""
    if isinstance(dialect, str):
        dialect = offline_dialect(dialect)
    sink = ScriptSink(dialect, literal_binds=literal_binds)
    impl = impl_for(dialect, sink, opts=opts)
    context = Context(impl, dialect, None, True, opts)
    with Operations.context(context) as operations:
        yield operations, sink


def alembic_script(dialect: str, run: Any, **opts: Any) -> str:
    """What real Alembic writes offline for `run(op)` (the reference to compare with)."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations as AlembicOperations

    # the real Alembic, not distill's stand-in for it (compat.py maps the names while it runs)
    assert AlembicOperations.__module__ == "alembic.operations.base"
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name=dialect,
        dialect_opts={"paramstyle": "named"},
        opts={"as_sql": True, "output_buffer": buffer, "literal_binds": True, **opts},
    )
    run(AlembicOperations(context))
    return buffer.getvalue()


def run_script(connection: Connection, script: str) -> None:
    """Run an offline script statement by statement through the raw DB-API cursor."""
    cursor = connection.connection.cursor()
    try:
        for statement in script.split(";\n\n"):
            if statement.strip():
                cursor.execute(statement)
    finally:
        cursor.close()


def snapshot(connection: Connection) -> dict[str, Any]:
    """The reflected schema in a comparable form: columns, keys, indexes, comments."""
    with warnings.catch_warnings():
        # SQLite cannot reflect expression indexes and says so; both sides skip them alike
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression")
        return _snapshot(connection)


def _snapshot(connection: Connection) -> dict[str, Any]:
    inspector = sa.inspect(connection)
    result: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        columns = [
            (c["name"], str(c["type"].compile(connection.dialect)), c["nullable"])
            for c in inspector.get_columns(table)
        ]
        result[table] = {
            "columns": columns,
            "comments": {c["name"]: c.get("comment") for c in inspector.get_columns(table)},
            "pk": inspector.get_pk_constraint(table)["constrained_columns"],
            "fks": _by_name(
                (fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (ix["name"], tuple(map(str, ix["column_names"])), bool(ix["unique"]))
                for ix in inspector.get_indexes(table)
            ),
            "uniques": _by_name(
                (uq["name"], tuple(uq["column_names"]))
                for uq in inspector.get_unique_constraints(table)
            ),
            "table_comment": _table_comment(inspector, table),
        }
    return result


def _by_name(rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows whose first item is a name or None (unnamed), sorted: unnamed first."""
    return sorted(rows, key=lambda row: (row[0] is not None, row[0] or "", row[1:]))


def _table_comment(inspector: sa.Inspector, table: str) -> str | None:
    try:
        return inspector.get_table_comment(table).get("text")
    except NotImplementedError:
        return None
