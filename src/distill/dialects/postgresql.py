"""PostgreSQL: transactional DDL, CONCURRENTLY, comments, native ENUM types."""

from __future__ import annotations

import sqlalchemy as sa

from distill.dialects.base import DialectImpl


class PostgreSQLImpl(DialectImpl):
    """PostgreSQL: almost everything in place, inside a transaction."""

    dialect_names = ("postgresql",)

    can_rollback_ddl = True
    supports_concurrent_index = True
    supports_column_if_exists = True

    def create_index(self, index: sa.Index, *, if_not_exists: bool = False) -> None:
        """CREATE INDEX; INCLUDE columns join the stand-in table so they can be rendered."""
        table = index.table
        for name in index.dialect_options["postgresql"]["include"] or ():
            if table is not None and isinstance(name, str) and name not in table.c:
                table.append_column(sa.Column(name, sa.types.NULLTYPE))
        super().create_index(index, if_not_exists=if_not_exists)
