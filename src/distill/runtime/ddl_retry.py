"""The DDL lock timeout and its retries: a DDL statement that cannot get its table lock
in time gives up instead of queueing behind a long transaction (and making every reader
of the table queue behind it), and its revision runs again after a pause.

`--ddl-lock-timeout` becomes `set_ddl_lock_timeout()` at the start of each revision's
transaction (an observer, so it rides in the revision's transaction: PostgreSQL's
`SET LOCAL lock_timeout`). When a revision fails on a lock (the dialect's
`lock_contention()` names the table and who holds it), it is run again only when that is
safe: it ran in a transaction of its own (one per revision, not one for the whole run),
that transaction was rolled back, and nothing of it was committed on the way (no
autocommit block, no commit by the revision itself). A fresh transaction then starts the
revision from its beginning; the run's earlier revisions stay committed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from distill.errors import amend_failure
from distill.runtime.observers import RevisionObserver
from distill.runtime.report import get_reporter, notice

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from distill.dialects.run_hooks import RunHooks
    from distill.runtime.migrator import MigrationContext
    from distill.runtime.observers import RevisionRun
    from distill.runtime.request import RunRequest

FIRST_PAUSE = 1.0  # seconds before the first retry, doubled for each next one
MAX_PAUSE = 30.0
CAUSE_DEPTH = 5  # how far down the chain of causes a lock timeout is looked for


@dataclass
class DDLLockTimeout(RevisionObserver):
    """Sets the DDL lock timeout inside each revision's transaction."""

    seconds: float
    _impl: RunHooks | None = None
    _unsupported_told: bool = False

    def revision_started(self, run: RevisionRun) -> None:
        """SET LOCAL lock_timeout (or the database's equivalent) before upgrade() runs."""
        self._impl = run.context.impl
        if self._impl.set_ddl_lock_timeout(run.connection, self.seconds):
            return
        if not self._unsupported_told:
            self._unsupported_told = True
            get_reporter().info(
                f"--ddl-lock-timeout has no effect on {run.context.impl.name}: "
                "it has no per-transaction lock timeout"
            )

    def transaction_reopened(self, connection: Connection) -> None:
        """The revision's autocommit block ended and a new transaction began: set it again."""
        if self._impl is not None:
            self._impl.set_ddl_lock_timeout(connection, self.seconds)


def with_lock_timeout(request: RunRequest) -> RunRequest:
    """`request` with the observer that sets the DDL lock timeout first, when it asks for
    one."""
    locking = request.locking
    if locking is None or locking.ddl_lock_timeout is None:
        return request
    observer = DDLLockTimeout(locking.ddl_lock_timeout)
    return replace(request, observers=(observer, *request.observers))


def _contention(
    context: MigrationContext, error: BaseException
) -> tuple[str | None, BaseException]:
    """What the dialect says about the lock a statement gave up on, looking through the
    chain of causes (a directive's refusal wraps the driver's error); (None, error) when
    the failure was not a lock timeout."""
    if context.connection is None or context.as_sql:
        return None, error
    seen: BaseException | None = error
    for _ in range(CAUSE_DEPTH):
        if seen is None:
            break
        found = context.impl.lock_contention(context.connection, seen)
        if found is not None:
            return found, seen
        seen = seen.__cause__ or seen.__context__
    return None, error


def pause_before_retry(
    context: MigrationContext,
    error: BaseException,
    attempt: int,
    retryable: bool,
) -> float:
    """Seconds to wait before running the failed revision again (attempt `attempt` + 1);
    raises the failure, with the contended table and its holder, when it must not or
    cannot be retried."""
    locking = context.request.locking
    contention, _ = _contention(context, error)
    if contention is None:
        raise error
    retries = locking.retries if locking is not None else 0
    if attempt > retries:
        tried = f" (after {retries} retr{'y' if retries == 1 else 'ies'})" if retries else ""
        advice = "" if retries else "; --retries N runs a revision again after a lock timeout"
        amend_failure(error, f"Lock timeout{tried}: {contention}{advice}")
        raise error
    if not retryable:
        amend_failure(
            error,
            f"Lock timeout: {contention}; not retried, because the revision did not run in a "
            "transaction of its own that rolled back entirely (keep "
            "transaction_per_migration=True in env.py's context.configure(), and keep "
            "commits and autocommit blocks out of revisions that may be retried)",
        )
        raise error
    pause = min(FIRST_PAUSE * 2.0 ** (attempt - 1), MAX_PAUSE) * random.uniform(0.8, 1.2)
    notice(
        f"Lock timeout: {contention}; running the revision again in a new transaction in "
        f"{pause:.1f} s (retry {attempt} of {retries})"
    )
    return pause
