"""The deploy lock a database offers, so that one distill process migrates it at a time.

The runtime (runtime/deploy_lock.py) asks `impl_class_for(dialect).deploy_lock(connection,
name)` for a DeployLock, polls `try_acquire()` with backoff until it succeeds or the wait
times out, and only then reads the version table. Every lock lives where a process killed
with SIGKILL cannot leave it behind: a session lock on a connection of its own
(PostgreSQL's advisory lock, MySQL's GET_LOCK) ends with the session, an OS file lock
(SQLite) with the process. None is a row in a table that someone must clear by hand.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone

import sqlalchemy as sa


def holder_label() -> str:
    """Who this process is, as a lock holder: `distill pid 123 on host`."""
    return f"distill pid {os.getpid()} on {socket.gethostname()}"


def utc_now() -> str:
    """The time now in UTC, to the second, for holder descriptions."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def utc_text(moment: datetime | None) -> str:
    """A database timestamp as UTC text ('unknown' when the database hides it)."""
    if moment is None:
        return "an unknown time"
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def database_label(connection: sa.Connection) -> str:
    """The database a connection is on, for messages (password hidden)."""
    return connection.engine.url.render_as_string(hide_password=True)


class DeployLock:
    """A database's deploy lock. This base is the lock of a database distill knows no lock
    for (and of in-memory SQLite, which one process alone can see): always free."""

    available = False
    """False when this database has no lock: concurrent runs are not kept apart."""

    def __init__(self, identity: str, where: str) -> None:
        self.identity = identity
        """The same database and lock name give the same identity in one process."""
        self.where = where
        """The database and lock, for messages."""

    def try_acquire(self) -> bool:
        """Take the lock if it is free, without waiting; True when it is now held."""
        return True

    def holder(self) -> str | None:
        """Who holds the lock, as far as the database can tell (None: unknown)."""
        return None

    def release(self) -> None:
        """Give the lock back and close what it opened (also after a failed acquire)."""


class SessionDeployLock(DeployLock):
    """A lock held by a database session of its own, opened in autocommit on first use (so a
    waiting process never holds a transaction open) and closed on release."""

    available = True

    def __init__(self, connection: sa.Connection, kind: str, name: str) -> None:
        where = database_label(connection)
        super().__init__(f"{where} {kind} {name}", f"{where} (lock for {name})")
        self._engine = connection.engine
        self._session: sa.Connection | None = None
        self._held = False

    def session(self) -> sa.Connection:
        """The lock's own connection, opened and prepared on first use."""
        if self._session is None:
            session = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._session = session
            self.opened(session)
        return self._session

    def opened(self, session: sa.Connection) -> None:
        """Prepare a newly opened session (nothing by default)."""

    def take(self, session: sa.Connection) -> bool:
        """Try the database's lock once, without waiting; True when taken."""
        raise NotImplementedError

    def give_back(self, session: sa.Connection) -> None:
        """Release the database's lock (called only while it is held)."""
        raise NotImplementedError

    def closing(self, session: sa.Connection) -> None:
        """Undo what opened() set on the session before it is closed (nothing by default)."""

    def try_acquire(self) -> bool:
        """Take the lock if it is free, without waiting; True when it is now held."""
        self._held = self.take(self.session())
        return self._held

    def release(self) -> None:
        """Give the lock back and close the session (also after a failed acquire)."""
        session, self._session = self._session, None
        if session is None:
            return
        try:
            if self._held:
                self.give_back(session)
            self.closing(session)
        finally:
            self._held = False
            session.close()
