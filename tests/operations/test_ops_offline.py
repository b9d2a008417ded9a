"""Offline (--sql) rendering per dialect: exact text, parity with real Alembic, refusals."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from support.op_runs import ScriptSink, alembic_script, offline, offline_dialect

from distill.dialects import impl_for
from distill.errors import DistillError

DIALECTS = ["sqlite", "postgresql", "mysql"]

Scenario = Callable[[Any], None]


def create_table_everything(op: Any) -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False, comment="display name"),
        sa.Column("status", sa.Enum("active", "closed", name="account_status")),
        sa.Column("active", sa.Boolean, server_default=sa.true()),
        sa.Column("created", sa.DateTime, server_default=sa.func.now()),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("account.id", ondelete="SET NULL")),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("auth.user.id")),
        sa.Column("email", sa.String(100), index=True),
        sa.UniqueConstraint("name", name="uq_account_name"),
        sa.CheckConstraint("id > 0", name="ck_positive"),
        comment="accounts",
    )


def create_table_in_schema(op: Any) -> None:
    op.create_table(
        "Order",
        sa.Column("select", sa.Integer, primary_key=True),
        sa.Column("Amount", sa.Numeric(10, 2)),
        sa.Column("seq_id", sa.Integer, sa.Sequence("order_seq")),
        sa.PrimaryKeyConstraint("select", name="pk_order"),
        sa.Index("ix_order_amount", "Amount", unique=True),
        schema="Sales",
        mysql_engine="InnoDB",
    )
    op.create_table("log", sa.Column("line", sa.Text), if_not_exists=True)


def naming_convention(op: Any) -> None:
    op.create_table(
        "post",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id")),
        sa.Column("slug", sa.String(20), unique=True),
        sa.Column("flag", sa.Boolean(create_constraint=True, name="flag")),
        sa.CheckConstraint("id > 0", name="positive"),
    )
    op.create_index(None, "post", ["slug", "id"])
    op.create_index(op.f("ix_custom"), "post", ["slug"])


def add_and_drop_columns(op: Any) -> None:
    op.add_column("account", sa.Column("nickname", sa.String(30), server_default="n/a"))
    op.add_column("account", sa.Column("score", sa.Integer, nullable=False, comment="rank"))
    op.add_column("account", sa.Column("code", sa.String(5), index=True), schema="app")
    op.drop_column("account", "nickname")
    op.drop_column("account", "code", schema="app")


def add_column_with_foreign_key(op: Any) -> None:
    op.add_column(
        "post",
        sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id", ondelete="CASCADE")),
    )
    op.add_column("post", sa.Column("editor_id", sa.Integer, sa.ForeignKey("auth.user.id")))


def columns_if_exists(op: Any) -> None:
    op.add_column("account", sa.Column("x", sa.Integer), if_not_exists=True)
    op.drop_column("account", "x", if_exists=True)


def indexes(op: Any) -> None:
    op.create_index("ix_name", "account", ["name"])
    op.create_index("ix_name_email", "account", ["name", "email"], unique=True, schema="app")
    op.create_index("ix_lower", "account", [sa.text("lower(name)")])
    op.create_index(
        "ix_partial",
        "account",
        ["email"],
        postgresql_where=sa.text("email IS NOT NULL"),
        mysql_length={"email": 10},
    )
    op.create_index("ix_safe", "account", ["name"], if_not_exists=True)
    op.drop_index("ix_name", "account")
    op.drop_index("ix_safe", "account", if_exists=True)
    op.drop_index("ix_name_email", "account", schema="app")


def drop_index_without_table(op: Any) -> None:
    op.drop_index("ix_name")
    op.drop_index("ix_other", schema="app", if_exists=True)


def drop_tables(op: Any) -> None:
    op.drop_table("account")
    op.drop_table("account", schema="app", if_exists=True)


def execute_forms(op: Any) -> None:
    account = sa.table("account", sa.column("id", sa.Integer), sa.column("name", sa.String))
    op.execute("UPDATE account SET name = 'a%b' WHERE name LIKE 'x%'")
    op.execute("UPDATE account SET name = 'at 12\\:30'")
    op.execute(sa.text("UPDATE account SET name = :name WHERE id = :id").bindparams(name="x", id=1))
    op.execute(account.update().where(account.c.id == 5).values(name="O'Brien"))
    op.execute(account.insert().values(id=op.inline_literal(6), name=op.inline_literal("six")))
    op.execute(account.delete().where(account.c.name.in_(["a", "b"])))
    op.execute("SELECT 1", execution_options={"isolation_level": "AUTOCOMMIT"})


def bulk_inserts(op: Any) -> None:
    event = sa.table(
        "event",
        sa.column("id", sa.Integer),
        sa.column("title", sa.String),
        sa.column("day", sa.Date),
        sa.column("done", sa.Boolean),
    )
    op.bulk_insert(
        event,
        [
            {"id": 1, "title": "it's", "day": datetime.date(2024, 2, 29), "done": True},
            {"id": 2, "title": None, "day": None, "done": False},
            {"id": 3, "title": op.inline_literal("three")},
        ],
    )
    op.bulk_insert(event, [{"id": 4}], multiinsert=False)
    op.bulk_insert(event, [])


SCENARIOS: dict[str, tuple[Scenario, tuple[str, ...]]] = {
    "create_table_everything": (create_table_everything, tuple(DIALECTS)),
    "create_table_in_schema": (create_table_in_schema, tuple(DIALECTS)),
    # SQLite: a NOT NULL column without a default needs a rebuild (SQLite's own tests)
    "add_and_drop_columns": (add_and_drop_columns, ("postgresql", "mysql")),
    # SQLite: Alembic refuses, distill writes REFERENCES inline (test below)
    "add_column_with_foreign_key": (add_column_with_foreign_key, ("postgresql", "mysql")),
    # SQLite has no IF [NOT] EXISTS for columns: distill refuses (test below)
    "columns_if_exists": (columns_if_exists, ("postgresql", "mysql")),
    "indexes": (indexes, tuple(DIALECTS)),
    # MySQL: Alembic writes `ON no_table`, distill asks for the table (test below)
    "drop_index_without_table": (drop_index_without_table, ("sqlite", "postgresql")),
    "drop_tables": (drop_tables, tuple(DIALECTS)),
    "execute_forms": (execute_forms, tuple(DIALECTS)),
    "bulk_inserts": (bulk_inserts, tuple(DIALECTS)),
}
CONVENTION = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def distill_script(dialect: str, scenario: Scenario, **opts: Any) -> str:
    with offline(dialect, **opts) as (operations, sink):
        scenario(operations)
    return sink.script


@pytest.mark.parametrize(
    ("name", "dialect"),
    [(name, dialect) for name, (_, dialects) in SCENARIOS.items() for dialect in dialects],
)
def test_offline_sql_is_alembics(name: str, dialect: str) -> None:
    scenario = SCENARIOS[name][0]
    ours = distill_script(dialect, scenario)
    theirs = alembic_script(dialect, scenario)
    if (name, dialect) == ("create_table_in_schema", "postgresql"):
        # distill creates the sequence a column names (Alembic leaves it to the revision)
        theirs = "CREATE SEQUENCE IF NOT EXISTS order_seq;\n\n" + theirs
    assert ours == theirs
    assert ours  # every scenario writes something


@pytest.mark.parametrize("dialect", DIALECTS)
def test_naming_convention_output_is_alembics(dialect: str) -> None:
    ours = distill_script(dialect, naming_convention, target_metadata=CONVENTION)
    assert ours == alembic_script(dialect, naming_convention, target_metadata=CONVENTION)
    assert "CONSTRAINT pk_post PRIMARY KEY (id)" in ours
    assert "CREATE INDEX ix_post_slug_id ON post (slug, id)" in ours
    assert "CREATE INDEX ix_custom ON post (slug)" in ours


def test_sqlite_add_column_writes_references_and_checks_inline() -> None:
    def run(op: Any) -> None:
        add_column_with_foreign_key(op)
        op.add_column("post", sa.Column("flag", sa.Boolean(create_constraint=True, name="ck_f")))
        op.add_column("post", sa.Column("n", sa.Integer, sa.CheckConstraint("n > 0")))

    assert distill_script("sqlite", run) == (
        "ALTER TABLE post ADD COLUMN account_id INTEGER REFERENCES account (id) "
        "ON DELETE CASCADE;\n\n"
        "ALTER TABLE post ADD COLUMN editor_id INTEGER REFERENCES auth.user (id);\n\n"
        "ALTER TABLE post ADD COLUMN flag BOOLEAN CONSTRAINT ck_f CHECK (flag IN (0, 1));\n\n"
        "ALTER TABLE post ADD COLUMN n INTEGER CHECK (n > 0);\n\n"
    )


def test_inline_references_renders_the_foreign_key_in_add_column() -> None:
    def run(op: Any) -> None:
        op.add_column(
            "post",
            sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id", name="fk_acc")),
            inline_references=True,
        )

    assert distill_script("postgresql", run) == (
        "ALTER TABLE post ADD COLUMN account_id INTEGER "
        "CONSTRAINT fk_acc REFERENCES account (id);\n\n"
    )
    # Alembic drops the constraint's name here; distill keeps it
    assert alembic_script("postgresql", run) == (
        "ALTER TABLE post ADD COLUMN account_id INTEGER REFERENCES account (id);\n\n"
    )


def test_postgresql_column_comment_and_idempotent_create_table() -> None:
    def run(op: Any) -> None:
        op.add_column("t", sa.Column("c", sa.String(10), comment="it's"), schema="s")
        op.create_table("u", sa.Column("a", sa.Integer, index=True), if_not_exists=True)

    assert distill_script("postgresql", run) == (
        "ALTER TABLE s.t ADD COLUMN c VARCHAR(10);\n\n"
        "COMMENT ON COLUMN s.t.c IS 'it''s';\n\n"
        "CREATE TABLE IF NOT EXISTS u (\n    a INTEGER\n);\n\n"
        # unlike Alembic, the table's own indexes are idempotent too
        "CREATE INDEX IF NOT EXISTS ix_u_a ON u (a);\n\n"
    )


def test_mysql_drop_index_without_a_table_is_refused() -> None:
    with pytest.raises(DistillError) as error:
        distill_script("mysql", drop_index_without_table)
    assert str(error.value) == (
        "drop_index('ix_name'): mysql drops an index with DROP INDEX ... ON <table>, so the "
        "table name is required; call op.drop_index('ix_name', table_name='<table>')"
    )
    assert distill_script("mysql", lambda op: op.drop_index("ix_name", "account")) == (
        "DROP INDEX ix_name ON account;\n\n"
    )


def test_sqlite_column_if_exists_is_refused_not_written() -> None:
    with pytest.raises(DistillError, match="sqlite has no ADD COLUMN IF NOT EXISTS"):
        distill_script("sqlite", columns_if_exists)


def test_mysql_if_exists_needs_mariadb_once_the_server_is_known() -> None:
    mysql = offline_dialect("mysql")
    mysql.server_version_info = (8, 0, 36)
    assert not impl_for(mysql, ScriptSink(mysql)).supports_index_if_exists
    mariadb = offline_dialect("mariadb")
    mariadb.server_version_info = (10, 11, 6)
    assert impl_for(mariadb, ScriptSink(mariadb)).supports_column_if_exists
    with (
        offline(mysql) as (operations, _),
        pytest.raises(DistillError, match="mysql has no CREATE INDEX IF NOT EXISTS"),
    ):
        operations.create_index("ix", "t", ["a"], if_not_exists=True)


def test_without_literal_binds_values_must_be_inline_literals() -> None:
    account = sa.table("account", sa.column("id", sa.Integer), sa.column("name", sa.String))

    def run(op: Any) -> None:
        op.execute(account.update().values(name=op.inline_literal("x")))
        op.bulk_insert(account, [{"id": 1, "name": "a"}])  # always literal, like Alembic
        op.execute(sa.text("DELETE FROM account"))
        op.create_table("t", sa.Column("d", sa.Integer, server_default="5"))

    assert distill_script("postgresql", run, literal_binds=False) == (
        "UPDATE account SET name='x';\n\n"
        "INSERT INTO account (id, name) VALUES (1, 'a');\n\n"
        "DELETE FROM account;\n\n"
        "CREATE TABLE t (\n    d INTEGER DEFAULT '5'\n);\n\n"
    )
    with pytest.raises(DistillError) as error:
        distill_script(
            "postgresql",
            lambda op: op.execute(account.update().where(account.c.id == 5).values(name="x")),
            literal_binds=False,
        )
    message = str(error.value)
    assert "cannot send bound values (id_1, name)" in message
    assert "of the statement `UPDATE account SET name=:name" in message
    assert "literal_binds" in message and "op.inline_literal()" in message


def test_a_colon_word_in_a_sql_string_must_be_escaped_or_bound() -> None:
    with pytest.raises(DistillError, match=r"':x', which text\(\) reads as a bind parameter"):
        distill_script("sqlite", lambda op: op.execute("UPDATE t SET a = ':x'"))
    escaped = distill_script("sqlite", lambda op: op.execute("UPDATE t SET a = '\\:x'"))
    assert escaped == "UPDATE t SET a = ':x';\n\n"
    cast = distill_script("postgresql", lambda op: op.execute("SELECT '1'::integer"))
    assert cast == "SELECT '1'::integer;\n\n"
