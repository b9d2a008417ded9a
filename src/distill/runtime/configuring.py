"""Small pieces MigrationContext is built from: the dialect configure() was given, and
the handle begin_transaction() returns for a transaction the runtime opened."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from distill.errors import DistillError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, Dialect

    from distill.runtime.connection_watch import ConnectionWatch
    from distill.runtime.sink import ConnectionSink, NoConnectionSink, ScriptOutput, ScriptSink


class RunTransaction:
    """What begin_transaction() returns when it opened a real transaction."""

    def __init__(self, close: Callable[[bool], None]) -> None:
        self._close = close  # close(commit): ends the transaction, exactly once
        self._open = True

    def __enter__(self) -> RunTransaction:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._end(commit=exc_type is None)

    def commit(self) -> None:
        """Commit now instead of at the end of the `with` block."""
        self._end(commit=True)

    def rollback(self) -> None:
        """Roll back now instead of at the end of the `with` block."""
        self._end(commit=False)

    def _end(self, commit: bool) -> None:
        if self._open:
            self._open = False
            self._close(commit)


def dialect_for(
    connection: Connection | None,
    url: str | URL | None,
    dialect_name: str | None,
    dialect: Dialect | None,
    dialect_opts: Mapping[str, Any] | None,
) -> Dialect:
    """The dialect of a connection, a URL or a dialect name, in that order of preference."""
    import sqlalchemy as sa

    if connection is not None:
        if isinstance(connection, sa.engine.Engine):
            raise DistillError(
                "'connection' argument to configure() is expected to be a "
                f"sqlalchemy.engine.Connection instance, got {connection!r}; in env.py "
                "use `with engine.connect() as connection: "
                "context.configure(connection=connection, ...)`"
            )
        return connection.dialect
    if url is not None:
        return sa.make_url(url).get_dialect()(**dict(dialect_opts or {}))
    if dialect_name is not None:
        return sa.make_url(f"{dialect_name}://").get_dialect()(**dict(dialect_opts or {}))
    if dialect is None:
        raise DistillError(
            "Connection, url, or dialect_name is required: pass connection=... "
            "(online) or url=... / dialect_name=... (offline --sql) to context.configure()"
        )
    return dialect


def open_sink(
    dialect: Dialect,
    connection: Connection | None,
    output: ScriptOutput,
    *,
    as_sql: bool,
    literal_binds: bool,
    tenant_schema: str | None,
) -> tuple[ConnectionSink | ScriptSink | NoConnectionSink, Any, ConnectionWatch | None]:
    """Where a run's SQL goes, the connection (or --sql's mock) it exposes, and the watch
    on a live connection: the script, a dialect alone (as Alembic allows: plugins render
    SQL or autogenerate with it), or the connection, put in the tenant's schema."""
    from distill.runtime.connection_watch import ConnectionWatch
    from distill.runtime.sink import ConnectionSink, NoConnectionSink, ScriptSink
    from distill.runtime.tenant import use_tenant_schema

    if as_sql:
        script = ScriptSink(dialect, output, literal_binds=literal_binds)
        return script, script.mock_connection(), None
    if connection is None:
        return NoConnectionSink(dialect, literal_binds=literal_binds), None, None
    if tenant_schema is not None:
        use_tenant_schema(connection, tenant_schema)
    sink = ConnectionSink(connection, literal_binds=literal_binds)
    return sink, connection, ConnectionWatch(connection)
