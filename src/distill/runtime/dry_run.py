"""A real dry run: the pending revisions run against the database inside one transaction
that is rolled back, each statement printed with its duration (and the row count of data
statements).

Only where DDL rolls back (the dialect's `can_rollback_ddl`, and this run's transactional
DDL). A revision that would commit (an `autocommit_block()`, `connection.commit()`, a
literal COMMIT) cannot be dry-run: the run stops before the commit happens.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from distill.errors import DistillError, MigrationError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from distill.dialects.base import DialectImpl
    from distill.runtime.sink import ScriptOutput

DATA_VERBS = ("INSERT", "UPDATE", "DELETE", "MERGE")
COMMIT_VERBS = ("COMMIT", "END")
FINAL_LINE = "rolled back: nothing changed"


def check_can_dry_run(impl: DialectImpl, direction: str) -> None:
    """Refuse a dry run where the database cannot take back what the revisions do."""
    if not impl.can_rollback_ddl:
        raise DistillError(
            f"{direction} --dry-run needs a database that rolls back DDL, and {impl.name} "
            "commits every CREATE, ALTER and DROP at once, so a dry run would change the "
            f"database; review the SQL with `{direction} --sql` instead"
        )
    if not impl.transactional_ddl:
        raise DistillError(
            f"{direction} --dry-run needs transactional DDL, and this run has none "
            "(env.py passes transactional_ddl=False, or the engine uses AUTOCOMMIT); remove "
            f"that for the dry run, or review the SQL with `{direction} --sql` instead"
        )


def _verb(statement: str) -> str:
    """The statement's first word, upper-cased."""
    words = statement.lstrip("( \n\t").split(None, 1)
    return words[0].upper() if words else ""


class DryRun:
    """Prints what a dry run executes, and stops it before anything commits."""

    def __init__(self, connection: Connection, output: ScriptOutput) -> None:
        self.connection = connection
        self.output = output
        self.revision: str | None = None  # the revision running now, for messages
        self.recording = False
        self.statements = 0
        self._started: list[float] = []

    def start(self) -> None:
        """Listen to the connection's statements."""
        sa.event.listen(self.connection, "before_cursor_execute", self._before)
        sa.event.listen(self.connection, "after_cursor_execute", self._after)

    def stop(self) -> None:
        """Stop listening."""
        sa.event.remove(self.connection, "before_cursor_execute", self._before)
        sa.event.remove(self.connection, "after_cursor_execute", self._after)

    def step(self, revision: str | None, line: str) -> None:
        """A revision starts: `-- Running upgrade a -> b, message`, then its statements."""
        self.revision = revision
        self.recording = True
        self.output.write(f"-- {line}\n\n")

    def finished(self) -> None:
        """The closing line, after the rollback."""
        self.output.write(f"-- {FINAL_LINE}\n")

    def refuse_commit(self, how: str) -> None:
        """Stop the run: `how` (an autocommit block, connection.commit()) would commit."""
        which = f"revision {self.revision}" if self.revision else "this run"
        raise MigrationError(
            f"{which} cannot be dry-run: it commits ({how}), and what is committed cannot "
            "be rolled back; the dry run stopped before the commit. Review it with --sql "
            "instead"
        )

    def _before(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        if _verb(statement) in COMMIT_VERBS:
            self.refuse_commit(f"a {_verb(statement)} statement")
        self._started.append(time.perf_counter())

    def _after(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        started = self._started.pop() if self._started else time.perf_counter()
        if not self.recording:
            return
        seconds = time.perf_counter() - started
        self.statements += 1
        text = statement.replace("\t", "    ").strip()
        note = f"-- {seconds * 1000:.2f} ms"
        rowcount = getattr(cursor, "rowcount", -1)
        counted = getattr(cursor, "description", None) is None  # RETURNING: not yet known
        if (
            _verb(statement) in DATA_VERBS
            and counted
            and isinstance(rowcount, int)
            and rowcount >= 0
        ):
            note += f", {rowcount} row{'' if rowcount == 1 else 's'}"
        self.output.write(f"{text};\n{note}\n\n")
