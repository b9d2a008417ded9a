"""The `op` facade: signatures, the active-migration rule, plugins, binds and run_async."""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from support.op_runs import offline, online

from distill import op
from distill.errors import DistillError
from distill.operations import MigrateOperation, Operations, ops

DIRECTIVES = [
    "create_table",
    "drop_table",
    "add_column",
    "drop_column",
    "create_index",
    "drop_index",
    "execute",
    "bulk_insert",
    "f",
    "inline_literal",
    "get_bind",
    "get_context",
    "invoke",
    "run_async",
    "rename_table",
    "alter_column",
    "create_unique_constraint",
    "create_foreign_key",
    "create_check_constraint",
    "create_primary_key",
    "create_exclude_constraint",
    "drop_constraint",
    "create_table_comment",
    "drop_table_comment",
    "batch_alter_table",
]


def _shape(function: Any, *, drop_self: bool) -> list[tuple[str, Any, Any]]:
    params = list(inspect.signature(function).parameters.values())
    if drop_self:
        params = params[1:]
    return [(p.name, p.kind, p.default) for p in params]


@pytest.mark.parametrize("name", DIRECTIVES)
def test_signatures_match_alembic(name: str) -> None:
    from alembic.operations import Operations as AlembicOperations

    theirs = _shape(getattr(AlembicOperations, name), drop_self=True)
    assert _shape(getattr(Operations, name), drop_self=True) == theirs
    assert _shape(getattr(op, name), drop_self=False) == theirs


@pytest.mark.parametrize("name", ["register_operation", "implementation_for"])
def test_extension_signatures_match_alembic(name: str) -> None:
    from alembic.operations import Operations as AlembicOperations

    theirs = _shape(getattr(AlembicOperations, name), drop_self=False)
    assert _shape(getattr(Operations, name), drop_self=False) == theirs
    assert _shape(getattr(op, name), drop_self=False) == theirs


def test_op_outside_a_migration_says_where_it_works() -> None:
    with pytest.raises(DistillError, match=r"op\.create_table\(\) is only available while"):
        op.create_table("t", sa.Column("id", sa.Integer))
    with pytest.raises(DistillError, match=r"op\.get_bind\(\)"):
        op.get_bind()
    # pure helpers need no migration
    assert op.f("ix_a") == "ix_a"
    assert op.inline_literal(5).value == 5


def test_unknown_op_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'no_such_directive'"):
        op.no_such_directive  # noqa: B018
    assert not hasattr(op, "__wrapped__")


def test_context_installs_and_removes_the_active_operations() -> None:
    with offline("sqlite"), offline("postgresql") as (inner, sink):
        op.execute("SELECT 1")
        assert sink.script == "SELECT 1;\n\n"
        assert op.get_context() is inner.migration_context
    with pytest.raises(RuntimeError), offline("sqlite") as (_, _):
        raise RuntimeError("a failing revision")
    with pytest.raises(DistillError, match="only available"):
        op.execute("SELECT 1")


def test_invoke_runs_op_objects() -> None:
    with offline("postgresql") as (operations, sink):
        table = op.invoke(ops.CreateTableOp("t", [sa.Column("id", sa.Integer)]))
        operations.invoke(ops.DropTableOp("t"))
    assert isinstance(table, sa.Table)
    assert sink.script == "CREATE TABLE t (\n    id INTEGER\n);\n\nDROP TABLE t;\n\n"


def test_invoke_without_an_implementation_says_how_to_register_one() -> None:
    class Orphan(MigrateOperation):
        pass

    with (
        offline("sqlite") as (operations, _),
        pytest.raises(DistillError, match=r"@Operations.implementation_for\(Orphan\)"),
    ):
        operations.invoke(Orphan())


# --- plugins, written the way Alembic plugins are (alembic-postgresql-enum, alembic_utils) ---


class GrantRoleOp(MigrateOperation):
    """GRANT a role on a table (a third-party directive)."""

    def __init__(self, role: str, table_name: str, *, schema: str | None = None) -> None:
        self.role = role
        self.table_name = table_name
        self.schema = schema

    @classmethod
    def grant_role(
        cls, operations: Operations, role: str, table_name: str, *, schema: str | None = None
    ) -> Any:
        """Grant SELECT on a table to a role."""
        return operations.invoke(cls(role, table_name, schema=schema))

    def reverse(self) -> MigrateOperation:
        return RevokeRoleOp(self.role, self.table_name, schema=self.schema)


class RevokeRoleOp(GrantRoleOp):
    """REVOKE, the reverse of GrantRoleOp."""

    @classmethod
    def revoke(
        cls, operations: Operations, role: str, table_name: str, *, schema: str | None = None
    ) -> Any:
        """Revoke SELECT on a table from a role."""
        return operations.invoke(cls(role, table_name, schema=schema))


@pytest.fixture
def plugin() -> Iterator[None]:
    """Register the plugin for one test, then take it away again."""
    Operations.register_operation("grant_role")(GrantRoleOp)
    Operations.register_operation("revoke_role", "revoke")(RevokeRoleOp)

    @Operations.implementation_for(GrantRoleOp)
    def grant(operations: Operations, operation: GrantRoleOp) -> str:
        target = f"{operation.schema}.{operation.table_name}" if operation.schema else ""
        verb = "REVOKE" if isinstance(operation, RevokeRoleOp) else "GRANT"
        target = target or operation.table_name
        name = operations.migration_context.dialect.name
        operations.execute(f"-- {verb} SELECT ON {target} TO {operation.role} ({name})")
        return verb

    try:
        yield
    finally:
        del Operations.grant_role  # type: ignore[attr-defined]
        del Operations.revoke_role  # type: ignore[attr-defined]
        del Operations._implementations[GrantRoleOp]


@pytest.mark.usefixtures("plugin")
def test_a_registered_operation_is_called_through_op() -> None:
    with offline("postgresql") as (operations, sink):
        assert op.grant_role("reader", "account") == "GRANT"
        assert operations.grant_role("reader", table_name="doc", schema="app") == "GRANT"
        # subclasses dispatch to the nearest registered implementation
        assert op.revoke_role("reader", "account") == "REVOKE"
        op.invoke(GrantRoleOp("writer", "account").reverse())
    assert sink.script.splitlines()[::2] == [
        "-- GRANT SELECT ON account TO reader (postgresql);",
        "-- GRANT SELECT ON app.doc TO reader (postgresql);",
        "-- REVOKE SELECT ON account TO reader (postgresql);",
        "-- REVOKE SELECT ON account TO writer (postgresql);",
    ]


@pytest.mark.usefixtures("plugin")
def test_a_registered_operation_keeps_its_signature_and_doc() -> None:
    method = Operations.grant_role  # type: ignore[attr-defined]
    assert str(inspect.signature(method)) == (
        "(self, role: 'str', table_name: 'str', *, schema: 'str | None' = None) -> 'Any'"
    )
    assert method.__doc__ == "Grant SELECT on a table to a role."


@pytest.mark.usefixtures("plugin")
def test_a_registered_operation_outside_a_migration_fails_when_called() -> None:
    assert hasattr(op, "grant_role")
    with pytest.raises(DistillError, match=r"op\.grant_role\(\) is only available"):
        op.grant_role("reader", "account")


@pytest.mark.usefixtures("plugin")
def test_implementation_for_refuses_a_second_registration_without_replace() -> None:
    with pytest.raises(DistillError, match="use replace=True"):
        Operations.implementation_for(GrantRoleOp)(lambda operations, operation: None)


def test_implementation_for_with_replace_wraps_a_built_in() -> None:
    original = Operations._implementations[ops.CreateTableOp]
    created: list[str] = []

    @Operations.implementation_for(ops.CreateTableOp, replace=True)
    def audited(operations: Operations, operation: ops.CreateTableOp) -> sa.Table:
        created.append(operation.table_name)
        return original(operations, operation)  # type: ignore[no-any-return]

    try:
        with offline("sqlite") as (_, sink):
            table = op.create_table("audit", sa.Column("id", sa.Integer))
    finally:
        Operations.implementation_for(ops.CreateTableOp, replace=True)(original)
    assert created == ["audit"] and table.name == "audit"
    assert sink.script.startswith("CREATE TABLE audit")


def test_register_operation_needs_the_named_classmethod() -> None:
    class Nameless(MigrateOperation):
        pass

    with pytest.raises(DistillError, match="has no classmethod 'frobnicate'"):
        Operations.register_operation("frobnicate")(Nameless)


# --- get_bind / get_context ---


def test_get_bind_online_is_the_connection(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection, online(connection) as operations:
        assert op.get_bind() is connection
        assert operations.get_context().connection is connection
        assert op.get_bind().execute(sa.text("SELECT 41 + 1")).scalar() == 42
    engine.dispose()


def test_get_bind_offline_writes_to_the_script() -> None:
    # what alembic-postgresql-enum's rendered create_enum does: Enum.create(op.get_bind())
    with offline("postgresql") as (_, sink):
        bind = op.get_bind()
        sa.Enum("a", "b", name="mood").create(bind)
        bind.execute(sa.text("UPDATE t SET x = 1"))
        assert bind.dialect.name == "postgresql"
    assert sink.script == "CREATE TYPE mood AS ENUM ('a', 'b');\n\nUPDATE t SET x = 1;\n\n"


def test_get_bind_offline_refuses_parameters() -> None:
    with (
        offline("sqlite") as (_, _),
        pytest.raises(
            DistillError, match=r"SQL parameters not allowed with as_sql \(offline --sql mode\)"
        ),
    ):
        op.get_bind().execute(sa.text("UPDATE t SET x = :x"), {"x": 1})


# --- run_async ---


def test_run_async_needs_a_live_connection() -> None:
    async def noop(connection: Any) -> None:
        return None

    with offline("sqlite") as (operations, _):
        with pytest.raises(DistillError, match="offline"):
            op.run_async(noop)
        # a runtime may hand out a mock connection offline; still no run_async
        operations.migration_context.connection = operations.impl.ddl_connection  # type: ignore[misc]
        with pytest.raises(DistillError, match="offline"):
            op.run_async(noop)
        assert op.get_bind() is operations.impl.ddl_connection


def test_run_async_needs_an_open_transaction(sqlite_url: str) -> None:
    async def noop(connection: Any) -> None:
        return None

    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection, online(connection):
        with pytest.raises(DistillError, match="transaction"):
            op.run_async(noop)
        connection.begin()
        with pytest.raises(DistillError, match="needs an async engine"):
            op.run_async(noop)
    engine.dispose()


def test_run_async_awaits_with_the_async_connection(tmp_path: os.PathLike[str]) -> None:
    import asyncio

    from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

    async def count_rows(connection: AsyncConnection, table: str, *, plus: int) -> int:
        result = await connection.execute(sa.text(f"SELECT count(*) FROM {table}"))
        return int(result.scalar_one()) + plus

    def migrate(connection: sa.Connection) -> int:
        with online(connection):
            op.create_table("item", sa.Column("id", sa.Integer))
            op.execute("INSERT INTO item VALUES (1)")
            return op.run_async(count_rows, "item", plus=10)

    async def main() -> int:
        engine = create_async_engine(f"sqlite+aiosqlite:///{os.fspath(tmp_path)}/a.db")
        async with engine.begin() as connection:
            result = await connection.run_sync(migrate)
        await engine.dispose()
        return result

    assert asyncio.run(main()) == 11
