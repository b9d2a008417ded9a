"""PostgreSQL's locks for safe deploys: the deploy lock (a session advisory lock on a
connection of its own), the DDL lock timeout (SET LOCAL lock_timeout) and, when a
statement gives up, which table it waited for and which session holds it.

The advisory lock's connection runs in autocommit: a waiting process never holds a
transaction open, so it cannot block anything (CREATE INDEX CONCURRENTLY waits for every
open transaction). Its application_name tells other processes who holds the lock; the
last statement it runs is the pg_try_advisory_lock that succeeded, so pg_stat_activity's
query_start is the moment the lock was taken.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

import sqlalchemy as sa

from distill.dialects.deploy_lock import SessionDeployLock, holder_label, utc_text

# the first key of distill's two-key advisory locks; the second comes from the lock name
LOCK_CLASS = zlib.crc32(b"distill deploy lock") & 0x7FFFFFFF
APPLICATION_NAME_LIMIT = 63  # NAMEDATALEN - 1

# lock_not_available: lock_timeout expired, or NOWAIT found the lock taken
LOCK_NOT_AVAILABLE = "55P03"

_HOLDER = sa.text(
    "SELECT a.pid, a.application_name, host(a.client_addr) AS client, a.usename, "
    "a.query_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
    "AND l.classid = CAST(:classid AS oid) AND l.objid = CAST(:objid AS oid) "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)

_TABLE_HOLDERS = sa.text(
    "WITH named AS (SELECT to_regclass(n) AS oid FROM unnest(CAST(:names AS text[])) AS n), "
    "tables AS (SELECT oid FROM named WHERE oid IS NOT NULL "
    "UNION SELECT i.indrelid FROM pg_index i JOIN named ON i.indexrelid = named.oid) "
    "SELECT DISTINCT ON (l.relation, a.pid) CAST(CAST(l.relation AS regclass) AS text) AS tab, "
    "a.pid, a.application_name, host(a.client_addr) AS client, a.usename, a.state, "
    "a.xact_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'relation' AND l.granted AND l.relation IN (SELECT oid FROM tables) "
    "AND a.pid <> pg_backend_pid() AND a.pid <> :own_pid "
    "ORDER BY l.relation, a.pid"
)

# names following the words that introduce a relation in DDL and DML
# (zero-width, so that `TABLE IF EXISTS ONLY t` yields every candidate)
_RELATION = re.compile(
    r"\b(?=(?:TABLE|ONLY|ON|REFERENCES|INTO|FROM|JOIN|UPDATE|INDEX|VIEW|SEQUENCE|EXISTS)\s+"
    r'((?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*))?))',
    re.IGNORECASE,
)


class AdvisoryDeployLock(SessionDeployLock):
    """pg_try_advisory_lock(class, key) held by a session of its own."""

    def __init__(self, connection: sa.Connection, name: str) -> None:
        super().__init__(connection, "advisory", name)
        self._keys = {"classid": LOCK_CLASS, "objid": zlib.crc32(name.encode()) & 0x7FFFFFFF}

    def opened(self, session: sa.Connection) -> None:
        """Set application_name, so that a waiting process can tell who holds the lock."""
        label = holder_label()[:APPLICATION_NAME_LIMIT]
        query = sa.text("SELECT set_config('application_name', :label, false)")
        session.execute(query, {"label": label})

    def take(self, session: sa.Connection) -> bool:
        """pg_try_advisory_lock: never waits inside the database."""
        query = sa.text("SELECT pg_try_advisory_lock(:classid, :objid)")
        return bool(session.execute(query, self._keys).scalar())

    def give_back(self, session: sa.Connection) -> None:
        """pg_advisory_unlock."""
        session.execute(sa.text("SELECT pg_advisory_unlock(:classid, :objid)"), self._keys)

    def closing(self, session: sa.Connection) -> None:
        """Give the pooled connection its application_name back."""
        session.execute(sa.text("RESET application_name"))

    def holder(self) -> str | None:
        """The session holding the lock: pid, application_name, client, user, since when."""
        row = self.session().execute(_HOLDER, self._keys).first()
        if row is None:
            return None
        return (
            f"PostgreSQL backend pid {row.pid} (application_name {row.application_name!r}, "
            f"client {row.client or 'local socket'}, user {row.usename}), "
            f"holding it since {utc_text(row.query_start)}"
        )


def set_lock_timeout(connection: sa.Connection, seconds: float) -> bool:
    """SET LOCAL lock_timeout for the transaction now open on `connection`."""
    milliseconds = max(1, round(seconds * 1000))
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{milliseconds}ms'")
    return True


def is_lock_timeout(error: BaseException) -> bool:
    """True for a statement that gave up waiting for a lock (lock_timeout or NOWAIT)."""
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    orig = error.orig
    return (getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)) == LOCK_NOT_AVAILABLE


def relation_names(statement: str) -> list[str]:
    """The names a statement puts where a table, index or view goes, in order."""
    found: list[str] = []
    for match in _RELATION.finditer(statement):
        name = re.sub(r"\s*\.\s*", ".", match.group(1))
        if name not in found:
            found.append(name)
    return found


def lock_contention(connection: sa.Connection, error: BaseException) -> str | None:
    """`table "t" is locked by pid 123 (...)` for a lock timeout; None for other errors."""
    if not is_lock_timeout(error):
        return None
    statement = getattr(error, "statement", None) or ""
    names = relation_names(statement)
    try:
        with connection.engine.connect() as looking:
            rows = looking.execute(
                _TABLE_HOLDERS, {"names": names, "own_pid": _backend_pid(connection)}
            ).all()
    except sa.exc.SQLAlchemyError as failure:
        reason = str(getattr(failure, "orig", failure)).strip().splitlines()[:1]
        return f"a lock was not granted in time (who holds it could not be read: {reason})"
    if not rows:
        return (
            "a lock was not granted in time; the session that held it has finished "
            f"(statement: {' '.join(statement.split())[:120]})"
        )
    tables: dict[str, list[str]] = {}
    for row in rows:
        tables.setdefault(row.tab, []).append(_describe_session(row))
    return "; ".join(
        f"table {table} is locked by {', '.join(holders)}" for table, holders in tables.items()
    )


def _describe_session(row: Any) -> str:
    """`pid 123 (application_name 'psql', client 10.0.0.1, user app, idle in transaction
    since ...)`."""
    state = row.state or "state unknown"
    return (
        f"pid {row.pid} (application_name {row.application_name!r}, client "
        f"{row.client or 'local socket'}, user {row.usename}, {state}, transaction started "
        f"{utc_text(row.xact_start)})"
    )


def _backend_pid(connection: sa.Connection) -> int:
    """The server process of `connection` (0 when the driver does not tell)."""
    try:
        dbapi = connection.connection.dbapi_connection
    except sa.exc.SQLAlchemyError:
        return 0
    info = getattr(dbapi, "info", None)  # psycopg 3
    pid = getattr(info, "backend_pid", None)
    get_pid = getattr(dbapi, "get_backend_pid", None)  # psycopg2
    if pid is None and callable(get_pid):
        pid = get_pid()
    return int(pid) if pid else 0
