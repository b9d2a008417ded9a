"""Where SQL goes: a live connection, or a script written for `--sql`.

Both implement the `Sink` protocol of dialects/base.py, so operations have one code
path for online and offline runs.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any, Literal, TextIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.base import Executable

from distill.errors import DistillError


def _as_executable(statement: Executable | str) -> Executable:
    """Plain strings are textual SQL."""
    return sa.text(statement) if isinstance(statement, str) else statement


class ConnectionSink:
    """Runs each statement on a live SQLAlchemy connection."""

    as_sql = False

    def __init__(self, connection: Connection, *, literal_binds: bool = False) -> None:
        self.connection = connection
        self.literal_binds = literal_binds

    @property
    def dialect(self) -> Dialect:
        """The connection's dialect."""
        return self.connection.dialect

    def execute(
        self,
        statement: Executable | str,
        params: Any = None,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Any:
        """Execute `statement` and return its result."""
        # per-call options: Connection.execution_options() would change the caller's connection
        return self.connection.execute(
            _as_executable(statement), params, execution_options=execution_options or {}
        )


class NoConnectionSink:
    """A context made from a dialect alone (plugin tooling renders SQL this way): it knows
    the dialect, but has nowhere to run a statement."""

    as_sql = False
    connection = None

    def __init__(self, dialect: Dialect, *, literal_binds: bool = False) -> None:
        self.dialect = dialect
        self.literal_binds = literal_binds

    def execute(
        self,
        statement: Executable | str,
        params: Any = None,
        execution_options: Mapping[str, Any] | None = None,
    ) -> None:
        """Refuse: there is no database to run `statement` on."""
        raise DistillError(
            f"Cannot execute {' '.join(str(statement).split())[:80]!r}: this MigrationContext "
            f"was configured from a dialect ({self.dialect.name}) without a connection; pass "
            "connection=... to MigrationContext.configure() to run SQL, or "
            "opts={'as_sql': True} to write it as a script"
        )


class ScriptOutput:
    """A text or binary stream SQL is written to, encoded with `encoding` when given."""

    def __init__(self, stream: TextIO | io.IOBase, encoding: str | None = None) -> None:
        self.stream = stream
        self.encoding = encoding

    def write(self, text: str) -> None:
        """Write `text` and flush, so a pipe reader sees statements as they come."""
        stream: Any = self.stream
        if self.encoding is None:
            stream.write(text)
        elif isinstance(stream, io.TextIOBase) or hasattr(stream, "encoding"):
            raw = getattr(stream, "buffer", None)
            if raw is None:  # an in-memory text stream: there are no bytes to encode
                stream.write(text)
            else:
                stream.flush()
                raw.write(text.encode(self.encoding))
                raw.flush()
        else:
            stream.write(text.encode(self.encoding))
        stream.flush()


class ScriptSink:
    """Compiles each statement for the dialect and writes it as a script (`--sql`)."""

    as_sql = True

    def __init__(
        self,
        dialect: Dialect,
        output: ScriptOutput,
        *,
        literal_binds: bool = False,
        terminator: str = ";",
        batch_separator: str | None = None,
    ) -> None:
        self.dialect = dialect
        self.output = output
        self.literal_binds = literal_binds
        self.terminator = terminator
        self.batch_separator = batch_separator

    def execute(
        self,
        statement: Executable | str,
        params: Any = None,
        execution_options: Mapping[str, Any] | None = None,
    ) -> None:
        """Write `statement` as SQL text; a script cannot carry bound parameters."""
        if params:
            raise DistillError(
                f"SQL parameters not allowed with as_sql (offline --sql mode): {params!r} "
                f"for {str(statement)[:80]!r}; inline the values, use op.inline_literal(), "
                "or set literal_binds=True in env.py's context.configure()"
            )
        self.write_statement(self.render(statement))

    def render(self, statement: Executable | str) -> str:
        """The SQL text of `statement` for this dialect (DDL never takes literal binds)."""
        from distill.dialects.ddl import render_for_script

        return render_for_script(statement, self.dialect, literal_binds=self.literal_binds)

    def write_statement(self, sql: str) -> None:
        """Write one statement: terminator, blank line, batch separator if the dialect has one."""
        self.write(sql + self.terminator)
        if self.batch_separator:
            self.write(self.batch_separator)

    def write(self, text: str) -> None:
        """Write `text` followed by a blank line (context.static_output)."""
        self.output.write(text + "\n\n")

    def mock_connection(self) -> Any:
        """A SQLAlchemy MockConnection whose executions are written to the script."""
        from sqlalchemy.engine.mock import MockConnection

        def dump(construct: Any, *multiparams: Any, **params: Any) -> None:
            self.execute(construct, (multiparams[0] if multiparams else None) or params or None)

        return MockConnection(self.dialect, dump)


# --- SQLite: real transactions around DDL --------------------------------------------------
#
# The sqlite3 driver's default ("legacy") transaction control only sends BEGIN before
# INSERT/UPDATE/DELETE, so CREATE/ALTER/DROP run outside any transaction and survive a
# ROLLBACK. SQLAlchemy's documented recipe is to set the driver connection's
# `isolation_level` to None and emit BEGIN from the ConnectionEvents.begin hook. Here it
# is applied to one Connection for the duration of a run, and undone afterwards, so a
# connection the user's env.py passed in is handed back as it came.

_LEGACY_CONTROL = -1  # sqlite3.LEGACY_TRANSACTION_CONTROL (Python 3.12+)

SQLiteSupport = Literal["not-sqlite", "take-over", "native", "unavailable"]


def _driver_connection(connection: Connection) -> Any:
    """The DBAPI connection under `connection`."""
    return connection.connection.driver_connection


def sqlite_transaction_support(connection: Connection) -> SQLiteSupport:
    """How DDL on `connection` can be made transactional.

    not-sqlite: not a sqlite3-family driver, nothing to do. take-over: the sqlite3 driver
    under legacy control, SQLiteTransactionControl makes BEGIN real. native: sqlite3 with
    `autocommit=False` (Python 3.12+) already begins for real. unavailable: driver-level
    autocommit, or a driver (aiosqlite) whose state cannot be read safely from here.
    """
    import sqlite3

    from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

    if not isinstance(connection.dialect, SQLiteDialect_pysqlite):
        return "not-sqlite"
    driver = _driver_connection(connection)
    if not isinstance(driver, sqlite3.Connection):
        return "unavailable"
    control = getattr(driver, "autocommit", _LEGACY_CONTROL)
    if control is False:
        return "native"
    if control is True or driver.isolation_level is None:
        return "unavailable"  # autocommit, as the user configured the engine
    return "take-over"


class SQLiteTransactionControl:
    """Makes BEGIN real on one sqlite3 connection while a run uses it."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._depth = 0
        self._saved_level: str | None = None
        self._changed_level = False
        self._listening = False

    def enter(self) -> None:
        """Take over transaction control (re-entrant)."""
        self._depth += 1
        if self._depth == 1:
            self._install()

    def exit(self) -> None:
        """Give transaction control back when the outermost user is done."""
        self._depth -= 1
        if self._depth == 0:
            self._uninstall()

    def suspend(self) -> Callable[[], None]:
        """Hand control back for a while (an autocommit block); returns the resume call."""
        was_active = self._listening
        if was_active:
            self._uninstall()

        def resume() -> None:
            if was_active and self._depth > 0:
                self._install()

        return resume

    def _install(self) -> None:
        driver = _driver_connection(self.connection)
        if driver.isolation_level is None:
            return
        self._saved_level = driver.isolation_level
        self._changed_level = False
        sa.event.listen(self.connection, "begin", self._on_begin)
        self._listening = True
        if self.connection.in_transaction():
            self._begin_for_real()

    def _uninstall(self) -> None:
        if not self._listening:
            return
        sa.event.remove(self.connection, "begin", self._on_begin)
        self._listening = False
        if self._changed_level:
            # assigning a string never commits: an open transaction stays open
            _driver_connection(self.connection).isolation_level = self._saved_level
            self._changed_level = False

    def _on_begin(self, connection: Connection) -> None:
        self._begin_for_real()

    def _begin_for_real(self) -> None:
        driver = _driver_connection(self.connection)
        if driver.in_transaction:
            return  # the driver already began one (legacy BEGIN before DML)
        if not self._changed_level:
            # assigning None would COMMIT an open transaction; none is open here
            driver.isolation_level = None
            self._changed_level = True
        self.connection.exec_driver_sql("BEGIN")
