"""What a run's connection actually did: every COMMIT and ROLLBACK, whoever asked for it.

Revision code may call `op.get_bind().commit()` or `.rollback()` itself (before an
autocommit block, say). The runtime then follows the connection instead of assuming its
own transaction is still the one open, and a failure message says what was committed
because it was seen to be committed, not because the runtime meant it to be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection


class ConnectionWatch:
    """Counts the commits and rollbacks on one connection while a run uses it."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.commits = 0  # all commits since start()
        self.foreign_commits = 0  # commits the runtime did not ask for (revision code)
        self.foreign_rollbacks = 0
        self._ours = 0
        self._listening = False
        self.on_commit: Callable[[], None] = lambda: None
        # called before a commit the runtime did not ask for goes ahead; raising stops it
        self.guard: Callable[[], None] = lambda: None
        self.on_rollback: Callable[[], None] = lambda: None

    def start(self) -> None:
        """Listen to the connection's transaction events."""
        if not self._listening:
            sa.event.listen(self.connection, "commit", self._commit)
            sa.event.listen(self.connection, "rollback", self._rollback)
            self._listening = True

    def stop(self) -> None:
        """Stop listening; the connection is handed back as it came."""
        if self._listening:
            sa.event.remove(self.connection, "commit", self._commit)
            sa.event.remove(self.connection, "rollback", self._rollback)
            self._listening = False

    @contextmanager
    def ours(self) -> Iterator[None]:
        """Commits and rollbacks inside the block are the runtime's own."""
        self._ours += 1
        try:
            yield
        finally:
            self._ours -= 1

    def _commit(self, connection: Connection) -> None:
        if not self._ours:
            self.guard()
        self.commits += 1
        if not self._ours:
            self.foreign_commits += 1
        self.on_commit()

    def _rollback(self, connection: Connection) -> None:
        if not self._ours:
            self.foreign_rollbacks += 1
        self.on_rollback()
