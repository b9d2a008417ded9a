"""Resume at the failed operation, where DDL commits at once (MySQL, MariaDB).

There a revision failing after some of its directives leaves those applied, and running
it again from the top would fail on the first of them ("Table already exists") forever.
So on such a database the applied-revision log keeps, beside `distill_log`, the running
revision's completed directives in `distill_progress`: one row each (position, kind,
description, fingerprint), committed right after the directive together with what it
did. The rows of a revision are deleted in the transaction that records it applied.

On the next run of that revision in that direction (unless the log recorded it applied,
stamped or adopted after the rows were written: then they are stale) an
OperationGate replays it: the revision's code runs again, and its first j directives
(counted in the order they run, Python control flow included) are skipped, each
checked against the recorded fingerprint; a mismatch refuses, naming the directive.
While the gate skips, statements the revision's code runs on the connection itself
(not through `op`) may only read: a write would run a second time, so it refuses.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from distill.dialects.own_objects import OWN_PREFIX
from distill.errors import DistillError
from distill.operations.fingerprint import fingerprint

PROGRESS_TABLE = f"{OWN_PREFIX}progress"
RAW_SQL_KIND = "ExecuteSQLOp"
_READS = {"SELECT", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "WITH", "SET", "VALUES"}
_FIRST_WORD = re.compile(r"\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*\(?\s*([A-Za-z]+)", re.DOTALL)


class ResumeRefused(DistillError):
    """A half-applied revision cannot be resumed as it is now."""


@dataclass(frozen=True)
class Done:
    """A completed directive of a revision that failed later."""

    position: int
    kind: str
    description: str
    fingerprint: str
    finished_at: datetime | None = None

    @property
    def raw_sql(self) -> bool:
        """True for `op.execute(...)`: its SQL text is all there is to check."""
        return self.kind == RAW_SQL_KIND


class ProgressTable:
    """Reads and writes `distill_progress` in the version table's schema."""

    def __init__(self, schema: str | None = None) -> None:
        self.table = sa.Table(
            PROGRESS_TABLE,
            sa.MetaData(),
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("revision", sa.String(255), nullable=False),
            sa.Column("direction", sa.String(16), nullable=False),
            sa.Column("position", sa.Integer, nullable=False),
            sa.Column("kind", sa.String(255), nullable=False),
            sa.Column("description", sa.Text, nullable=False),
            sa.Column("fingerprint", sa.String(64), nullable=False),
            sa.Column("finished_at", sa.DateTime, nullable=False),
            sa.PrimaryKeyConstraint("id", name=f"{PROGRESS_TABLE}_pk"),
            schema=schema,
        )

    def create(self, connection: Connection) -> None:
        """Create the table unless it exists."""
        self.table.create(connection, checkfirst=True)

    def read(self, connection: Connection) -> dict[tuple[str, str], list[Done]]:
        """Per (revision, direction), the completed directives in order; {} without a table."""
        if not sa.inspect(connection).has_table(PROGRESS_TABLE, schema=self.table.schema):
            return {}
        found: dict[tuple[str, str], list[Done]] = defaultdict(list)
        c = self.table.c
        query = sa.select(self.table).order_by(c.revision, c.direction, c.position)
        for row in connection.execute(query).mappings():
            done = Done(
                row["position"],
                row["kind"],
                row["description"],
                row["fingerprint"],
                row["finished_at"],
            )
            found[(row["revision"], row["direction"])].append(done)
        return dict(found)

    def add(
        self, connection: Connection, revision: str, direction: str, done: Done, at: datetime
    ) -> None:
        """Record one completed directive."""
        connection.execute(
            self.table.insert(),
            {
                "revision": revision[:255],
                "direction": direction,
                "position": done.position,
                "kind": done.kind[:255],
                "description": done.description,
                "fingerprint": done.fingerprint,
                "finished_at": at,
            },
        )

    def forget(self, connection: Connection, revisions: Sequence[str] | None = None) -> None:
        """Delete the rows of `revisions` (of every revision when None)."""
        delete = self.table.delete()
        if revisions is not None:
            if not revisions:
                return
            delete = delete.where(self.table.c.revision.in_(list(revisions)))
        connection.execute(delete)


def describe(operation: Any) -> str:
    """The directive's one-line description."""
    method = getattr(operation, "describe", None)
    return str(method()) if callable(method) else type(operation).__name__


class OperationGate:
    """The directives of the running revision as they start, in the order they run:
    fingerprinted for the record, and skipped (after a check) while a resume replays the
    ones a failed run completed."""

    def __init__(
        self, revision: str, direction: str, done: Sequence[Done], connection: Connection
    ) -> None:
        self.revision = revision
        self.direction = direction
        self.done = list(done)
        self.position = 0
        self.current: Done | None = None
        """The directive that started last (what a completed one is recorded as)."""
        self._connection = connection
        self._guarding = False
        if self.done:
            sa.event.listen(connection, "before_cursor_execute", self._guard)
            self._guarding = True

    def starting(self, operation: Any) -> bool:
        """A directive is about to run: True when it is to be skipped (completed before)."""
        self.position += 1
        kind = type(operation).__name__
        self.current = Done(self.position, kind, describe(operation), fingerprint(operation))
        if self.position > len(self.done):
            self.stop_guard()
            return False
        recorded = self.done[self.position - 1]
        if recorded.fingerprint != self.current.fingerprint or recorded.kind != kind:
            raise ResumeRefused(self._edited(recorded))
        return True

    def finish(self) -> None:
        """The revision's code returned (before its version row is written): it must have
        reached every recorded directive."""
        self.stop_guard()
        if self.position < len(self.done):
            missing = self.done[self.position]
            raise ResumeRefused(
                f"Cannot resume revision {self.revision}: the failed run completed "
                f"{len(self.done)} operation(s), but the revision now runs only "
                f"{self.position}; operation {missing.position} ({missing.description}) was "
                f"applied and is no longer in it. {self._fix()}"
            )

    def stop_guard(self) -> None:
        """Statements run on the connection itself are no longer checked."""
        if self._guarding:
            sa.event.remove(self._connection, "before_cursor_execute", self._guard)
            self._guarding = False

    def _guard(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        """While skipping, a statement the revision's code runs itself may only read."""
        match = _FIRST_WORD.match(statement)
        if match is not None and match.group(1).upper() in _READS:
            return
        text = " ".join(statement.split())
        text = text[:77] + "..." if len(text) > 80 else text
        raise ResumeRefused(
            f"Cannot resume revision {self.revision} at operation {len(self.done) + 1}: "
            f"before it, the revision runs SQL on the connection itself ({text}), not "
            "through op, which the failed run already ran and a resume would run again. "
            + self._fix()
        )

    def _edited(self, recorded: Done) -> str:
        assert self.current is not None
        what = (
            "its SQL text differs (generated SQL cannot be replayed)"
            if recorded.raw_sql and self.current.raw_sql
            else f"the revision now has {self.current.description} there"
        )
        return (
            f"Cannot resume revision {self.revision}: operation {recorded.position} "
            f"({recorded.description}) was applied by the failed run and has changed since: "
            f"{what}. Restore operations 1-{len(self.done)} as they ran, or {self._fix(False)}"
        )

    def _fix(self, sentence: bool = True) -> str:
        text = (
            "repair the database by hand (complete or undo the revision), then "
            "`distill stamp` the revision it is at, which forgets the resume point"
        )
        return text[0].upper() + text[1:] if sentence else text


def resume_notice(revision: str, direction: str, done: Sequence[Done]) -> str:
    """The line saying where a run resumes, and which skipped directives are raw SQL."""
    count = len(done)
    text = (
        f"Resuming {direction} of {revision} at operation {count + 1}: operation(s) 1-{count} "
        "were applied by the failed run and are skipped, each checked against what was "
        "recorded"
    )
    raw = [d for d in done if d.raw_sql]
    if raw:
        named = ", ".join(f"{d.position} ({d.description})" for d in raw)
        text += (
            f"; raw SQL, checked by its text only (SQL generated differently on this run "
            f"refuses the resume): {named}"
        )
    return text


def kept_note(done: Sequence[str], database: str) -> str:
    """The log note of a failure on a database that kept the completed directives."""
    listed = "; ".join(f"{number}. {text}" for number, text in enumerate(done, 1))
    return (
        f"{len(done)} operation(s) completed before the failure and are not rolled back "
        f"({database} commits DDL at once): {listed}. The next run resumes at operation "
        f"{len(done) + 1}"
    )
