"""MySQL and MariaDB: DDL commits at once, DROP INDEX needs its table, inline comments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Dialect

from distill.dialects.base import DialectImpl, Sink


class MySQLImpl(DialectImpl):
    """MySQL / MariaDB: every DDL statement commits implicitly."""

    dialect_names = ("mysql", "mariadb")

    can_rollback_ddl = False
    drop_index_needs_table = True

    def __init__(
        self,
        dialect: Dialect,
        sink: Sink,
        *,
        transactional_ddl: bool | None = None,
        opts: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(dialect, sink, transactional_ddl=transactional_ddl, opts=opts)
        # MariaDB has IF [NOT] EXISTS for columns and indexes, MySQL has neither. Offline
        # the server is unknown (a mysql:// URL may mean MariaDB): write what was asked.
        server_unknown = dialect.server_version_info is None
        mariadb = bool(getattr(dialect, "is_mariadb", False)) or server_unknown
        self.supports_column_if_exists = mariadb
        self.supports_index_if_exists = mariadb
