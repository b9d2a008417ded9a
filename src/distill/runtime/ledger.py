"""The applied-revision log: distill's own table `distill_log`, next to the version table.

Alembic's version table stays exactly as Alembic writes it; everything distill keeps for
itself lives in tables named `distill_*` in the version table's schema. One row per
revision applied or reverted (or recorded without running: stamped, adopted from a
database Alembic migrated, an edit accepted with --allow-edited), with the checksum of the
revision file (runtime/checksums.py), start and end time (UTC), outcome, the failing
statement and error, and who ran it (OS user, host, distill version).

Rows are only ever added; the newest row of a revision says where it stands.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from distill.dialects.own_objects import OWN_PREFIX

LOG_TABLE = f"{OWN_PREFIX}log"
TEXT_LIMIT = 2000  # characters of an error or statement kept in a row

Direction = Literal["upgrade", "downgrade"]
Action = Literal["run", "stamp", "adopt", "accept"]
Outcome = Literal["ok", "failed"]


def utcnow() -> datetime:
    """The current time in UTC, without a time zone (what every database stores alike)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Who:
    """Who runs distill: OS user, host and distill version."""

    os_user: str
    host: str
    distill_version: str

    @classmethod
    def current(cls) -> Who:
        """This process's user, host and distill version."""
        try:
            user = getpass.getuser()
        except Exception:  # no login name (some containers): the numeric uid says enough
            user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
        return cls(user, socket.gethostname(), _distill_version())


@dataclass(frozen=True)
class Entry:
    """One row of the log."""

    revision: str
    direction: Direction
    action: Action
    outcome: Outcome
    checksum: str | None
    started_at: datetime
    finished_at: datetime | None
    who: Who
    failing_statement: str | None = None
    error: str | None = None
    note: str | None = None
    operations: int | None = None
    """Directives of the revision that completed (before the failure, for a failed run)."""
    id: int | None = field(default=None, compare=False)

    @property
    def applies(self) -> bool:
        """True when the row leaves its revision applied (a successful upgrade-ward row)."""
        return self.outcome == "ok" and self.direction == "upgrade"

    def as_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data (times in ISO 8601, UTC)."""
        data = asdict(self)
        who = data.pop("who")
        data.update(who)
        for key in ("started_at", "finished_at"):
            value = data[key]
            data[key] = value.isoformat() + "Z" if value is not None else None
        return {"id": data.pop("id"), **data}


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= TEXT_LIMIT:
        return text
    return text[: TEXT_LIMIT - 3] + "..."


class LogTable:
    """Reads and writes `distill_log` in the version table's schema."""

    def __init__(self, schema: str | None = None) -> None:
        self.schema = schema
        self.table = sa.Table(
            LOG_TABLE,
            sa.MetaData(),
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("revision", sa.String(255), nullable=False),
            sa.Column("direction", sa.String(16), nullable=False),
            sa.Column("action", sa.String(16), nullable=False),
            sa.Column("outcome", sa.String(16), nullable=False),
            sa.Column("checksum", sa.String(64)),
            sa.Column("started_at", sa.DateTime, nullable=False),
            sa.Column("finished_at", sa.DateTime),
            sa.Column("os_user", sa.String(255)),
            sa.Column("host", sa.String(255)),
            sa.Column("distill_version", sa.String(32)),
            sa.Column("failing_statement", sa.Text),
            sa.Column("error", sa.Text),
            sa.Column("note", sa.Text),
            sa.Column("operations", sa.Integer),
            sa.PrimaryKeyConstraint("id", name=f"{LOG_TABLE}_pk"),
            schema=schema,
        )

    @property
    def qualified_name(self) -> str:
        """`schema.distill_log` or `distill_log`, for messages."""
        return f"{self.schema}.{LOG_TABLE}" if self.schema else LOG_TABLE

    def exists(self, connection: Connection) -> bool:
        """True when the log table is in the database."""
        return sa.inspect(connection).has_table(LOG_TABLE, schema=self.schema)

    def create(self, connection: Connection) -> None:
        """Create the log table unless it exists."""
        self.table.create(connection, checkfirst=True)

    def append(self, connection: Connection, entries: Iterable[Entry]) -> None:
        """Add rows, in order."""
        rows = [self._row(entry) for entry in entries]
        if len(rows) == 1:
            connection.execute(self.table.insert(), rows[0])  # not executemany: one a revision
        elif rows:
            connection.execute(self.table.insert(), rows)

    def read(self, connection: Connection, limit: int | None = None) -> list[Entry]:
        """The rows, oldest first (the newest `limit` only, when given); none without a table."""
        if not self.exists(connection):
            return []
        table = self.table
        column = table.c.id
        query = sa.select(*(table.c[name] for name in _READ_ORDER))
        if limit is not None:
            query = query.order_by(column.desc()).limit(limit)
            rows = list(reversed(connection.execute(query).all()))
        else:
            rows = list(connection.execute(query.order_by(column)).all())
        # a run reads the whole log before it starts: one Who per distinct runner
        runners: dict[tuple[Any, Any, Any], Who] = {}
        entries = []
        for row in rows:
            (revision, direction, action, outcome, checksum, started, finished) = row[:7]
            runner = (row[7], row[8], row[9])
            who = runners.get(runner)
            if who is None:
                who = runners[runner] = Who(row[7] or "", row[8] or "", row[9] or "")
            statement, error, note, operations, row_id = row[10:]
            entries.append(
                Entry(
                    revision,
                    direction,
                    action,
                    outcome,
                    checksum,
                    started,
                    finished,
                    who,
                    statement,
                    error,
                    note,
                    operations,
                    row_id,
                )
            )
        return entries

    def _row(self, entry: Entry) -> dict[str, Any]:
        return {
            "revision": entry.revision,
            "direction": entry.direction,
            "action": entry.action,
            "outcome": entry.outcome,
            "checksum": entry.checksum,
            "started_at": entry.started_at,
            "finished_at": entry.finished_at,
            "os_user": entry.who.os_user[:255],
            "host": entry.who.host[:255],
            "distill_version": entry.who.distill_version[:32],
            "failing_statement": _clip(entry.failing_statement),
            "error": _clip(entry.error),
            "note": _clip(entry.note),
            "operations": entry.operations,
        }


# The columns `read` selects: Entry's fields in order, `who` as its three columns.
_READ_ORDER = (
    "revision",
    "direction",
    "action",
    "outcome",
    "checksum",
    "started_at",
    "finished_at",
    "os_user",
    "host",
    "distill_version",
    "failing_statement",
    "error",
    "note",
    "operations",
    "id",
)


def standing(entries: Sequence[Entry]) -> dict[str, Entry]:
    """Per revision, the newest successful row: where the log says the revision stands."""
    found: dict[str, Entry] = {}
    for entry in entries:
        if entry.outcome == "ok":
            found[entry.revision] = entry
    return found


def _distill_version() -> str:
    """The installed distill's version (read from its metadata: importing the package's
    `__init__` from the runtime would close a layer cycle through compat)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("distill")
    except PackageNotFoundError:
        return "unknown"
