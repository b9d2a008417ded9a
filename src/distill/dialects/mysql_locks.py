"""MySQL / MariaDB deploy lock: GET_LOCK on a connection of its own.

A named lock belongs to the session that took it and ends with it, so a killed process
leaves nothing behind. Names are server-wide: the lock's name carries the database.
IS_USED_LOCK tells which connection holds it, and the process list who that is; the
holding connection is idle after GET_LOCK, so its TIME is how long it has held the lock.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from distill.dialects.deploy_lock import DeployLock, database_label

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


class NamedDeployLock(DeployLock):
    """GET_LOCK(name, 0), polled by the runtime."""

    available = True

    def __init__(self, connection: sa.Connection, name: str) -> None:
        where = database_label(connection)
        super().__init__(f"{where} named {name}", f"{where} (lock for {name})")
        self._engine = connection.engine
        self._name = name
        self._lock_name: str | None = None
        self._session: sa.Connection | None = None
        self._held = False

    def _connection(self) -> tuple[sa.Connection, str]:
        if self._session is None or self._lock_name is None:
            session = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            database = session.execute(sa.text("SELECT DATABASE()")).scalar() or ""
            self._session, self._lock_name = session, lock_name(str(database), self._name)
        return self._session, self._lock_name

    def try_acquire(self) -> bool:
        """GET_LOCK with no wait: 1 when taken."""
        session, name = self._connection()
        got = session.execute(sa.text("SELECT GET_LOCK(:name, 0)"), {"name": name}).scalar()
        self._held = got == 1
        return self._held

    def holder(self) -> str | None:
        """The connection holding the lock, from IS_USED_LOCK and the process list."""
        session, name = self._connection()
        found = session.execute(sa.text("SELECT IS_USED_LOCK(:name)"), {"name": name}).scalar()
        if found is None:
            return None
        row = session.execute(_HOLDER, {"id": found}).first()
        if row is None:
            return f"connection {found}"
        return (
            f"connection {row.ID} (user {row.USER}, client {row.HOST}, database {row.DB}), "
            f"holding it for {row.TIME} s"
        )

    def release(self) -> None:
        """RELEASE_LOCK and give the session back."""
        session, self._session = self._session, None
        if session is None:
            return
        try:
            if self._held:
                session.execute(sa.text("SELECT RELEASE_LOCK(:name)"), {"name": self._lock_name})
        finally:
            self._held = False
            session.close()
