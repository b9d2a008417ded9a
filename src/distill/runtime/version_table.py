"""The Alembic-compatible version table: one VARCHAR(32) row per applied head."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from distill.errors import DistillError

DEFAULT_NAME = "alembic_version"


def _literal(version: str) -> sa.ColumnElement[Any]:
    """A version id as an inline SQL literal: Alembic never binds these (scripts need them)."""
    return sa.literal_column("'{}'".format(version.replace("'", "''")))


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

    def insert(self, sink: Any, version: str) -> None:
        """Add a row for `version`."""
        sink.execute(self.table.insert().values(version_num=_literal(version)))

    def delete(self, sink: Any, version: str) -> None:
        """Remove the row of `version`; online exactly one row must match."""
        column = self.table.c.version_num
        result = sink.execute(self.table.delete().where(column == _literal(version)))
        self._check_one_row(sink, result, f"deleting '{version}'")

    def update(self, sink: Any, old: str, new: str) -> None:
        """Replace the row of `old` with `new`; online exactly one row must match."""
        column = self.table.c.version_num
        statement = (
            self.table.update().values(version_num=_literal(new)).where(column == _literal(old))
        )
        result = sink.execute(statement)
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
