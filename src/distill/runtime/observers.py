"""Revision observers: the one hook point through which other parts of distill follow a
run revision by revision (the applied-revision log, for one).

A RunRequest carries a tuple of observers; MigrationContext calls each of them, in order,
once per online run (never for --sql scripts):

- `run_started`   after the version table was read, before the plan is made: an
                  observer may refuse the run here (the applied-revision log checks the
                  files of the applied revisions), or write in the transaction the run
                  began reading the version table;
- `run_planned`   with the plan's steps, before the first one runs;
- `run_finished`  after the last step, once run_migrations() is done with the
                  transactions it opened itself (env.py's own transaction, if any, may
                  still be open: the revisions in it are told `revision_committed` later);

and for every step of the plan (with `operation_finished` after each directive of the
revision that completed):

1. `revision_started`   before the revision's migration function runs, inside the
                        transaction the revision runs in;
2. `revision_applied`   after the function and the version-row change, still inside that
                        transaction, so what an observer writes here on `run.connection`
                        commits (or rolls back) together with the revision;
3. `revision_committed` after that transaction committed (at the end of the run when the
                        whole run is one transaction);
4. `revision_failed`    after the revision raised and the transaction was rolled back,
                        with the original exception and the failing statement (None when
                        the error came from Python code rather than a SQL statement). The
                        connection is idle here: write in a transaction of your own.

An observer that raises in run_started or run_planned fails the run before any revision
runs, and in run_finished fails the command after the run; one that raises in 1 or 2 fails
the revision like the revision itself would; one that raises in 3 or 4 fails the command
after the database work is done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from distill.graph import Step
    from distill.runtime.migrator import MigrationContext


@dataclass(frozen=True)
class RevisionRun:
    """One step of a run as observers see it."""

    step: Step
    """The plan step: kind, revision, the version rows it removes and adds."""
    path: str | None
    """The revision file, None for a stamp or an unknown revision."""
    connection: Connection
    """The connection the revision runs on."""
    context: MigrationContext
    """The running MigrationContext (the script directory, the version table's name...)."""

    @property
    def revision(self) -> str | None:
        """The revision id the step runs (None only for a stamp to base)."""
        return self.step.revision

    @property
    def direction(self) -> Literal["upgrade", "downgrade", "stamp"]:
        """`upgrade`, `downgrade` or `stamp`."""
        return self.step.kind


class RevisionObserver:
    """Base class of observers: every hook does nothing; override the ones you need."""

    def run_started(self, context: MigrationContext, heads: tuple[str, ...]) -> None:
        """The run read the version table (`heads`) and is about to plan."""

    def run_planned(self, context: MigrationContext, steps: Sequence[Step]) -> None:
        """The run will carry out `steps`, in order (none: nothing to do)."""

    def run_finished(self, context: MigrationContext) -> None:
        """Every step ran; what run_migrations() committed itself is told as committed."""

    def revision_started(self, run: RevisionRun) -> None:
        """The revision is about to run, inside its transaction."""

    def operation_finished(self, context: MigrationContext, operation: Any) -> None:
        """A directive (`op.create_table(...)`, ...) of the running revision completed;
        told by the `op` facade (for a batch block, per statement it runs at its end)."""

    def revision_applied(self, run: RevisionRun) -> None:
        """The revision ran and its version rows are written; its transaction is still open."""

    def revision_committed(self, run: RevisionRun) -> None:
        """The transaction holding the revision committed."""

    def revision_failed(
        self, run: RevisionRun, error: BaseException, statement: str | None
    ) -> None:
        """The revision raised `error` (at `statement`, if SQL) and was rolled back."""

    def transaction_reopened(self, connection: Connection) -> None:
        """An autocommit block of the revision ended and a new transaction began on
        `connection`: settings local to a transaction must be made again."""


def notify(observers: tuple[Any, ...], hook: str, *args: Any) -> None:
    """Call `hook` on every observer that has it, in order."""
    for observer in observers:
        method = getattr(observer, hook, None)
        if method is not None:
            method(*args)
