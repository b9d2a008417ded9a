"""One tenant's schema: a run whose unqualified tables and version table live there."""

from __future__ import annotations

import sqlalchemy as sa

from distill.errors import DistillError


def use_tenant_schema(connection: sa.Connection, schema: str) -> None:
    """Send unqualified tables of `connection` to `schema`; refuse a schema that is missing."""
    idle = not connection.in_transaction()
    exists = sa.inspect(connection).has_schema(schema)
    if idle and connection.in_transaction():
        connection.rollback()  # the look-up's implicit transaction: leave the connection idle
    if not exists:
        raise DistillError(
            f"schema {schema!r} does not exist in {connection.engine.url.database}; "
            f"create it first (CREATE SCHEMA {schema}) or fix the target"
        )
    connection.execution_options(schema_translate_map={None: schema})
