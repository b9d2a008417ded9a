"""Dialect impls: which one a dialect gets, what each says it can do, offline rendering."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine.mock import MockConnection
from support.op_runs import ScriptSink, offline_dialect

from distill.dialects import DialectImpl, impl_class_for, impl_for, render_for_script
from distill.dialects import base as dialects_base
from distill.dialects.mysql import MySQLImpl
from distill.dialects.postgresql import PostgreSQLImpl
from distill.dialects.run_hooks import DDLTransactions
from distill.dialects.sqlite import SQLiteImpl
from distill.errors import DistillError


def impl(name: str, **kw: object) -> DialectImpl:
    dialect = offline_dialect(name)
    return impl_for(dialect, ScriptSink(dialect), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("sqlite", SQLiteImpl),
        ("postgresql", PostgreSQLImpl),
        ("mysql", MySQLImpl),
        ("mariadb", MySQLImpl),
        ("mssql", DialectImpl),
    ],
)
def test_impl_for_picks_the_dialects_impl(name: str, cls: type[DialectImpl]) -> None:
    chosen = impl(name)
    assert type(chosen) is cls and chosen.name == name


def test_capability_flags_per_backend() -> None:
    flags = [
        "can_rollback_ddl",
        "can_alter_column",
        "can_alter_constraints",
        "supports_concurrent_index",
        "supports_comments",
        "inline_comments",
        "drop_index_needs_table",
    ]
    table = {
        name: [getattr(impl(name), flag) for flag in flags]
        for name in ("sqlite", "postgresql", "mysql")
    }
    assert table == {
        "sqlite": [True, False, False, False, False, False, False],
        "postgresql": [True, True, True, True, True, False, False],
        "mysql": [False, True, True, False, True, True, True],
    }


@pytest.mark.parametrize(
    ("name", "override", "begin", "commit"),
    [
        ("postgresql", None, "BEGIN", "COMMIT"),
        # distill runs SQLite DDL in real transactions, so the script is one transaction too
        ("sqlite", None, "BEGIN", "COMMIT"),
        ("mysql", None, None, None),
        ("sqlite", False, None, None),
        ("mysql", True, "BEGIN", "COMMIT"),
    ],
)
def test_offline_transaction_statements_follow_transactional_ddl(
    name: str, override: bool | None, begin: str | None, commit: str | None
) -> None:
    chosen = impl(name, transactional_ddl=override)
    assert chosen.transactional_ddl is (begin is not None)
    assert (chosen.begin_statement, chosen.commit_statement) == (begin, commit)
    assert chosen.command_terminator == ";"


def test_old_sqlite_cannot_drop_columns_and_says_which() -> None:
    dialect = offline_dialect("sqlite")
    dialect.server_version_info = (3, 31, 1)
    old = impl_for(dialect, ScriptSink(dialect))
    assert not old.can_drop_column and old.can_rename_column
    with pytest.raises(DistillError) as error:
        old.drop_column("account", "email", schema="main")
    message = str(error.value)
    assert "SQLite 3.31.1 has no ALTER TABLE DROP COLUMN" in message
    assert "main.account.email" in message and "batch_alter_table" in message
    dialect.server_version_info = (3, 24, 0)
    assert not impl_for(dialect, ScriptSink(dialect)).can_rename_column


def test_unknown_dialects_get_sqlalchemys_own_flags() -> None:
    generic = impl("mssql")
    assert generic.supports_comments is True and generic.can_rollback_ddl is False


@pytest.fixture
def third_party() -> Iterator[None]:
    yield
    for name in ("distilltest", "legacytest"):
        dialects_base._registry.pop(name, None)


@pytest.mark.usefixtures("third_party")
def test_third_party_impls_register_by_dialect_name() -> None:
    class Modern(DialectImpl):
        dialect_names = ("distilltest",)
        can_rollback_ddl = True

    class Legacy(DialectImpl):  # written for Alembic's DefaultImpl
        __dialect__ = "legacytest"

    assert dialects_base.impl_class("distilltest") is Modern
    assert dialects_base.impl_class("legacytest") is Legacy
    assert dialects_base.impl_class("nosuch") is DialectImpl


def test_ddl_connection_routes_through_the_impl() -> None:
    chosen = impl("postgresql")
    bind = chosen.ddl_connection
    assert isinstance(bind, MockConnection) and bind.dialect is chosen.dialect
    assert chosen.ddl_connection is bind
    bind.execute(sa.text("SELECT 1"))
    assert chosen.sink.script == "SELECT 1;\n\n"  # type: ignore[attr-defined]


def test_render_for_script_compiles_for_the_dialect() -> None:
    postgresql = offline_dialect("postgresql")
    table = sa.Table("t", sa.MetaData(), sa.Column("d", sa.Integer, server_default="1"))
    assert render_for_script(sa.schema.CreateTable(table), postgresql, literal_binds=True) == (
        "CREATE TABLE t (\n    d INTEGER DEFAULT '1'\n)"
    )
    assert render_for_script("  SELECT\t1  ", postgresql, literal_binds=False) == "SELECT    1"
    update = sa.table("t", sa.column("d", sa.Integer)).update().values(d=5)
    assert render_for_script(update, postgresql, literal_binds=True) == "UPDATE t SET d=5"
    with pytest.raises(DistillError, match="not a SQL statement"):
        render_for_script(42, postgresql, literal_binds=True)  # type: ignore[arg-type]


def test_impl_execute_refuses_parameters_offline() -> None:
    with pytest.raises(
        DistillError, match=r"not allowed with as_sql .*: \{'x': 1\} for `INSERT INTO t"
    ):
        impl("sqlite").execute("INSERT INTO t VALUES (:x)", {"x": 1})


def test_issue_4_capability_flags_per_backend() -> None:
    flags = [
        "can_rename_table",
        "supports_constraint_if_exists",
        "supports_exclude_constraints",
        "alter_column_restates_column",
    ]
    table = {
        name: [getattr(impl(name), flag) for flag in flags]
        for name in ("sqlite", "postgresql", "mysql")
    }
    assert table == {
        "sqlite": [True, False, False, False],
        "postgresql": [True, True, True, False],
        # offline the server may be MariaDB, which has DROP ... IF EXISTS
        "mysql": [True, True, False, True],
    }
    mysql = offline_dialect("mysql")
    mysql.server_version_info = (8, 0, 36)
    assert not impl_for(mysql, ScriptSink(mysql)).supports_constraint_if_exists


def test_refusals_become_one_line_with_the_statement(sqlite_url: str) -> None:
    from support.op_runs import ConnectionSink

    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection:
        chosen = impl_for(connection.dialect, ConnectionSink(connection))
        assert chosen.connection is connection
        with pytest.raises(DistillError) as error:
            chosen.rename_table("nope", "other")
        assert str(error.value) == (
            "rename_table('nope', 'other'): the database refused it: no such table: nope. "
            "Check the table name (and schema=) (statement: ALTER TABLE nope RENAME TO other)"
        )
        assert isinstance(error.value.__cause__, sa.exc.OperationalError)
        with pytest.raises(DistillError, match=r"^where: table t does not exist"):
            chosen.reflected_column("t", "c", where="where")
    engine.dispose()
    assert impl("sqlite").connection is None


def _tables(engine: sa.Engine) -> set[str]:
    """The tables another connection sees (what was committed)."""
    with engine.connect() as connection:
        return set(sa.inspect(connection).get_table_names())


def test_sqlite_ddl_transactions_make_ddl_roll_back_and_hand_the_driver_back(
    sqlite_url: str,
) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        level = driver.isolation_level
        # the sqlite3 driver on its own commits DDL at once: ROLLBACK keeps the table
        with connection.begin() as transaction:
            connection.exec_driver_sql("CREATE TABLE kept (id INTEGER)")
            transaction.rollback()
        assert "kept" in _tables(engine)

        transactions = impl_class_for(connection.dialect).ddl_transactions(connection)
        assert transactions.available
        transactions.enter()
        with connection.begin() as transaction:
            connection.exec_driver_sql("CREATE TABLE undone (id INTEGER)")
            transaction.rollback()
        transactions.exit()
        assert "undone" not in _tables(engine)
        assert driver.isolation_level == level
    engine.dispose()


def test_sqlite_ddl_cannot_be_transactional_under_driver_autocommit(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        assert not impl_class_for(connection.dialect).ddl_transactions(connection).available
    engine.dispose()


def test_other_backends_take_nothing_over_and_add_no_failure_hint(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.connect() as connection:
        transactions = impl_class_for(connection.dialect).ddl_transactions(connection)
        assert type(transactions) is DDLTransactions
        assert transactions.available
    engine.dispose()
    assert impl("mysql").failure_hint(ValueError("boom"), per_migration=False) is None
