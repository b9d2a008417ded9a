"""The Alembic-compatible version table: one VARCHAR(32) row per applied head."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from distill.dialects.ddl import render_for_script
from distill.errors import DistillError
from distill.runtime.sink import ConnectionSink, ScriptSink

DEFAULT_NAME = "alembic_version"

# Stand-ins compiled into a version-row statement once per run; each step then replaces
# them by its version ids instead of compiling the statement again (that compile cost
# about as much as the step's own DDL on a long history).
_OLD = "distill_old_version_7c1f"
_NEW = "distill_new_version_7c1f"
# Ids that can take a stand-in's place unchanged in SQL text (no quote, colon or percent).
_PLAIN_ID = re.compile(r"[A-Za-z0-9_.]+")


def _literal(version: str) -> sa.ColumnElement[Any]:
    """A version id as an inline SQL literal: Alembic never binds these (scripts need them)."""
    return sa.literal_column("'{}'".format(version.replace("'", "''")))


def _plain(version: str) -> bool:
    """Whether `version` ("": none) can replace a stand-in in SQL text as it is."""
    if not version:
        return True
    return bool(_PLAIN_ID.fullmatch(version)) and _OLD not in version and _NEW not in version


class VersionTable:
    """Reads and writes `alembic_version` (or the table configure() names)."""

    def __init__(
        self, name: str = DEFAULT_NAME, schema: str | None = None, primary_key: bool = True
    ) -> None:
        self.name = name
        self.schema = schema
        columns: list[Any] = [sa.Column("version_num", sa.String(32), nullable=False)]
        if primary_key:
            columns.append(sa.PrimaryKeyConstraint("version_num", name=f"{name}_pkc"))
        self.table = sa.Table(name, sa.MetaData(), *columns, schema=schema)
        # statement kind and dialect -> its SQL with stand-ins ("" where that is not safe)
        self._templates: dict[tuple[str, Any, bool, bool], str] = {}

    @property
    def qualified_name(self) -> str:
        """`schema.name` or `name`, for messages."""
        return f"{self.schema}.{self.name}" if self.schema else self.name

    # -- reading ---------------------------------------------------------------------------

    def exists(self, connection: Connection) -> bool:
        """True when the table is in the database."""
        return sa.inspect(connection).has_table(self.name, schema=self.schema)

    def read(self, connection: Connection) -> tuple[str, ...]:
        """The version rows; empty when the table does not exist yet."""
        if not self.exists(connection):
            return ()
        column = self.table.c.version_num
        return tuple(connection.execute(sa.select(column)).scalars())

    # -- writing (through a sink: the same statements online and in a --sql script) --------

    def create_statement(self) -> sa.schema.CreateTable:
        """CREATE TABLE for the version table."""
        return sa.schema.CreateTable(self.table)

    def _statement(self, kind: str, old: str, new: str) -> sa.Insert | sa.Delete | sa.Update:
        """The INSERT (of `new`), DELETE (of `old`) or UPDATE (`old` to `new`)."""
        column = self.table.c.version_num
        if kind == "insert":
            return self.table.insert().values(version_num=_literal(new))
        if kind == "delete":
            return self.table.delete().where(column == _literal(old))
        return self.table.update().values(version_num=_literal(new)).where(column == _literal(old))

    def _template(self, kind: str, sink: Any) -> str:
        """The statement's SQL for the sink with stand-ins for the ids ("": none)."""
        key = (kind, sink.dialect, sink.as_sql, sink.literal_binds)
        if key not in self._templates:
            statement = self._statement(kind, _OLD, _NEW)
            if sink.as_sql:
                sql = render_for_script(statement, sink.dialect, literal_binds=sink.literal_binds)
            else:
                sql = str(statement.compile(dialect=sink.dialect))
            counts = (sql.count(_OLD), sql.count(_NEW))
            wanted = (1, 0) if kind == "delete" else (1, 1)
            # text() would read a colon as a parameter; percent signs are escaped per driver
            safe = counts == wanted and (sink.as_sql or (":" not in sql and "%" not in sql))
            self._templates[key] = sql if safe else ""
        return self._templates[key]

    def _write(self, sink: Any, kind: str, old: str = "", new: str = "") -> Any:
        """Run or write one version-row statement.

        An UPDATE or DELETE (the statements of every step) comes from a template compiled
        once, when the sink is distill's own and the ids can stand in SQL text as they are;
        anything else is built and compiled like any statement. The SQL is the same.
        """
        if kind != "insert" and self._templated(sink) and _plain(old) and _plain(new):
            template = self._template(kind, sink)
            if template:
                sql = template.replace(_OLD, old).replace(_NEW, new)
                if sink.as_sql:
                    sink.write_statement(sql)
                    return None
                return sink.execute(sa.text(sql))
        return sink.execute(self._statement(kind, old, new))

    @staticmethod
    def _templated(sink: Any) -> bool:
        """Whether the sink takes templated statements: a --sql script, or a connection
        without a schema_translate_map (it applies to compiled statements only)."""
        # exact types: a subclass may do more in execute() than the template would skip
        if type(sink) is ScriptSink:
            return True
        return type(sink) is ConnectionSink and not sink.connection.get_execution_options().get(
            "schema_translate_map"
        )

    def insert(self, sink: Any, version: str) -> None:
        """Add a row for `version`."""
        self._write(sink, "insert", new=version)

    def delete(self, sink: Any, version: str) -> None:
        """Remove the row of `version`; online exactly one row must match."""
        result = self._write(sink, "delete", old=version)
        self._check_one_row(sink, result, f"deleting '{version}'")

    def update(self, sink: Any, old: str, new: str) -> None:
        """Replace the row of `old` with `new`; online exactly one row must match."""
        result = self._write(sink, "update", old=old, new=new)
        self._check_one_row(sink, result, f"updating '{old}' to '{new}'")

    def purge(self, sink: Any) -> None:
        """Remove every row (`stamp --purge`)."""
        sink.execute(self.table.delete())

    def apply(self, sink: Any, removes: Sequence[str], adds: Sequence[str]) -> None:
        """Move the rows from `removes` to `adds`, as graph.Step describes.

        With both present: DELETE removes[:-1], INSERT adds[:-1], UPDATE the last of each.
        """
        if removes and adds:
            for version in removes[:-1]:
                self.delete(sink, version)
            for version in adds[:-1]:
                self.insert(sink, version)
            self.update(sink, removes[-1], adds[-1])
            return
        for version in removes:
            self.delete(sink, version)
        for version in adds:
            self.insert(sink, version)

    def _check_one_row(self, sink: Any, result: Any, action: str) -> None:
        if sink.as_sql or result is None or not sink.dialect.supports_sane_rowcount:
            return
        if result.rowcount != 1:
            raise DistillError(
                f"Online migration expected to match one row when {action} in "
                f"'{self.qualified_name}'; {result.rowcount} found. The version table does not "
                "hold the revisions distill read from it a moment ago (another process may be "
                "migrating the same database); check it with `distill current` and correct it "
                "with `distill stamp` before running again"
            )
