"""Real transactions around SQLite DDL.

The sqlite3 driver's default ("legacy") transaction control only sends BEGIN before
INSERT/UPDATE/DELETE, so CREATE/ALTER/DROP run outside any transaction and survive a
ROLLBACK. SQLAlchemy's documented recipe is to set the driver connection's
`isolation_level` to None and emit BEGIN from the ConnectionEvents.begin hook. Here it
is applied to one Connection for the duration of a run, and undone afterwards, so a
connection the user's env.py passed in is handed back as it came.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from distill.dialects.run_hooks import DDLTransactions

_LEGACY_CONTROL = -1  # sqlite3.LEGACY_TRANSACTION_CONTROL (Python 3.12+)


def _driver_connection(connection: Connection) -> Any:
    """The DBAPI connection under `connection`."""
    return connection.connection.driver_connection


def sqlite_ddl_transactions(connection: Connection) -> DDLTransactions:
    """How DDL on a SQLite `connection` can be made transactional.

    The sqlite3 driver under legacy control: the take-over that makes BEGIN real. sqlite3
    with `autocommit=False` (Python 3.12+) already begins for real, and a dialect outside
    the pysqlite family is left as it is: nothing to take over. Driver-level autocommit,
    or a driver (aiosqlite) whose state cannot be read safely from here: unavailable.
    """
    import sqlite3

    from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

    if not isinstance(connection.dialect, SQLiteDialect_pysqlite):
        return DDLTransactions()
    driver = _driver_connection(connection)
    if not isinstance(driver, sqlite3.Connection):
        return DDLTransactions(available=False)
    control = getattr(driver, "autocommit", _LEGACY_CONTROL)
    if control is False:
        return DDLTransactions()
    if control is True or driver.isolation_level is None:
        return DDLTransactions(available=False)  # autocommit, as the user configured it
    return SQLiteTakeOver(connection)


class SQLiteTakeOver(DDLTransactions):
    """Makes BEGIN real on one sqlite3 connection while a run uses it."""

    def __init__(self, connection: Connection) -> None:
        super().__init__()
        self.connection = connection
        self._depth = 0
        self._saved_level: str | None = None
        self._changed_level = False
        self._listening = False

    def enter(self) -> None:
        """Take over transaction control (re-entrant)."""
        self._depth += 1
        if self._depth == 1:
            self._install()

    def exit(self) -> None:
        """Give transaction control back when the outermost user is done."""
        self._depth -= 1
        if self._depth == 0:
            self._uninstall()

    def suspend(self) -> Callable[[], None]:
        """Hand control back for a while (an autocommit block); returns the resume call."""
        was_active = self._listening
        if was_active:
            self._uninstall()

        def resume() -> None:
            if was_active and self._depth > 0:
                self._install()

        return resume

    def _install(self) -> None:
        driver = _driver_connection(self.connection)
        if driver.isolation_level is None:
            return
        self._saved_level = driver.isolation_level
        self._changed_level = False
        sa.event.listen(self.connection, "begin", self._on_begin)
        self._listening = True
        if self.connection.in_transaction():
            self._begin_for_real()

    def _uninstall(self) -> None:
        if not self._listening:
            return
        sa.event.remove(self.connection, "begin", self._on_begin)
        self._listening = False
        if self._changed_level:
            # assigning a string never commits: an open transaction stays open
            _driver_connection(self.connection).isolation_level = self._saved_level
            self._changed_level = False

    def _on_begin(self, connection: Connection) -> None:
        self._begin_for_real()

    def _begin_for_real(self) -> None:
        driver = _driver_connection(self.connection)
        if driver.in_transaction:
            return  # the driver already began one (legacy BEGIN before DML)
        if not self._changed_level:
            # assigning None would COMMIT an open transaction; none is open here
            driver.isolation_level = None
            self._changed_level = True
        self.connection.exec_driver_sql("BEGIN")
