"""MySQL / MariaDB deploy lock: GET_LOCK on a connection of its own.

A named lock belongs to the session that took it and ends with it, so a killed process
leaves nothing behind. Names are server-wide: the lock's name carries the database.
IS_USED_LOCK tells which connection holds it, and the process list who that is; the
holding connection is idle after GET_LOCK, so its TIME is how long it has held the lock.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from distill.dialects.deploy_lock import SessionDeployLock

NAME_LIMIT = 64  # characters of a GET_LOCK name

_HOLDER = sa.text(
    "SELECT ID, USER, HOST, DB, TIME FROM information_schema.PROCESSLIST WHERE ID = :id"
)


def lock_name(database: str, name: str) -> str:
    """`distill:<database>:<version table>`, hashed when longer than GET_LOCK allows."""
    full = f"distill:{database}:{name}"
    if len(full) <= NAME_LIMIT:
        return full
    return "distill:" + hashlib.sha1(full.encode()).hexdigest()


class NamedDeployLock(SessionDeployLock):
    """GET_LOCK(name, 0), polled by the runtime."""

    def __init__(self, connection: sa.Connection, name: str) -> None:
        super().__init__(connection, "named", name)
        self._name = name
        self._lock_name = name

    def opened(self, session: sa.Connection) -> None:
        """Name the lock after the session's database (GET_LOCK names are server-wide)."""
        database = session.execute(sa.text("SELECT DATABASE()")).scalar() or ""
        self._lock_name = lock_name(str(database), self._name)

    def take(self, session: sa.Connection) -> bool:
        """GET_LOCK with no wait: 1 when taken."""
        query = sa.text("SELECT GET_LOCK(:name, 0)")
        return session.execute(query, {"name": self._lock_name}).scalar() == 1

    def give_back(self, session: sa.Connection) -> None:
        """RELEASE_LOCK."""
        session.execute(sa.text("SELECT RELEASE_LOCK(:name)"), {"name": self._lock_name})

    def holder(self) -> str | None:
        """The connection holding the lock, from IS_USED_LOCK and the process list."""
        session = self.session()
        query = sa.text("SELECT IS_USED_LOCK(:name)")
        found = session.execute(query, {"name": self._lock_name}).scalar()
        if found is None:
            return None
        row = session.execute(_HOLDER, {"id": found}).first()
        if row is None:
            return f"connection {found}"
        return (
            f"connection {row.ID} (user {row.USER}, client {row.HOST}, database {row.DB}), "
            f"holding it for {row.TIME} s"
        )
