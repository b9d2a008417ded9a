"""Where SQL goes: a live connection, or a script written for `--sql`.

Both implement the `Sink` protocol of dialects/base.py, so operations have one code
path for online and offline runs.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any, TextIO

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
