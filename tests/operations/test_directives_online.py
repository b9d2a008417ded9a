"""The issue-4 directives on a real SQLite, PostgreSQL and MariaDB, checked by reflection.

The central test runs a revision's worth of op objects online, undoes them with their
reverse(), then runs the offline script of the same ops on the emptied database: both
roads must reach the same schema (columns, defaults, comments, keys, checks) and rows.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from support.op_runs import offline, offline_dialect, online, run_script, snapshot

from distill import op
from distill.errors import DistillError
from distill.operations import MigrateOperation, ops


@pytest.fixture
def connection(db_url: str) -> Iterator[sa.Connection]:
    engine = sa.create_engine(db_url)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


@pytest.fixture(params=["postgresql", "mysql"])
def server(request: pytest.FixtureRequest, new_database: Any) -> Iterator[sa.Connection]:
    """PostgreSQL and MariaDB: what SQLite does through batch mode is tested there."""
    engine = sa.create_engine(new_database(request.param))
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def backend(connection: sa.Connection) -> str:
    return connection.engine.url.get_backend_name()


def full_snapshot(connection: sa.Connection) -> dict[str, Any]:
    """ops_helpers.snapshot plus server defaults and CHECK constraint names."""
    result = snapshot(connection)
    inspector = sa.inspect(connection)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for table in result:
            result[table]["defaults"] = {
                c["name"]: c.get("default") for c in inspector.get_columns(table)
            }
            result[table]["checks"] = sorted(
                str(c["name"]) for c in inspector.get_check_constraints(table)
            )
    return result


def revision_ops(name: str) -> list[MigrateOperation]:
    """A revision using every directive the backend can run in place."""
    parent = ops.CreateTableOp("parent", [sa.Column("id", sa.Integer, primary_key=True)])
    account = ops.CreateTableOp(
        "account",
        [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(50), nullable=False, server_default="x", comment="nm"),
            sa.Column("code", sa.String(10)),
            sa.Column("score", sa.String(10)),
            sa.Column("parent_id", sa.Integer),
        ],
    )
    tag = ops.CreateTableOp("tag", [sa.Column("label", sa.String(20), nullable=False)])
    seed = ops.ExecuteSQLOp(
        "INSERT INTO account (id, name, code, score) VALUES (1, 'first', 'a1', '7')"
    )
    string10 = sa.String(10)
    common: list[MigrateOperation] = [
        parent,
        account,
        tag,
        seed,
        ops.AlterColumnOp("account", "code", modify_name="ref", existing_type=string10),
        ops.RenameTableOp("tag", "label"),
        ops.CreateTableCommentOp("account", "accounts"),
    ]
    if name == "sqlite":
        return [
            *common,
            ops.CreateIndexOp(
                "ix_account_ref", "account", ["ref"], sqlite_where=sa.text("ref > 'a'")
            ),
        ]
    return [
        *common,
        ops.AlterColumnOp(
            "account",
            "name",
            modify_nullable=True,
            existing_nullable=False,
            existing_type=sa.String(50),
            existing_server_default=sa.text("'x'"),
            existing_comment="nm",
        ),
        ops.AlterColumnOp(
            "account",
            "score",
            modify_type=sa.Integer(),
            existing_type=string10,
            postgresql_using="score::integer",
        ),
        ops.AlterColumnOp(
            "account",
            "ref",
            modify_server_default="r0",
            existing_server_default=None,
            existing_type=string10,
        ),
        # offline, MySQL's MODIFY keeps only what the op says (online it reads the rest)
        ops.AlterColumnOp(
            "account",
            "ref",
            modify_comment="reference",
            existing_type=string10,
            existing_server_default="r0",
        ),
        ops.CreateUniqueConstraintOp("uq_account_ref", "account", ["ref"]),
        ops.CreateCheckConstraintOp("ck_account_score", "account", "score >= 0"),
        ops.CreateForeignKeyOp(
            "fk_account_parent", "account", "parent", ["parent_id"], ["id"], ondelete="CASCADE"
        ),
        ops.CreatePrimaryKeyOp("pk_label", "label", ["label"]),
        ops.CreateIndexOp("ix_account_name", "account", ["name"], mysql_length={"name": 5}),
    ]


def test_a_revision_online_reversed_then_offline_reaches_the_same_schema(
    connection: sa.Connection,
) -> None:
    name = backend(connection)
    with online(connection) as operations:
        for change in revision_ops(name):
            operations.invoke(change)
    connection.commit()
    online_schema = full_snapshot(connection)
    online_rows = [tuple(r) for r in connection.execute(sa.text("SELECT * FROM account"))]

    assert set(online_schema) == {"account", "label", "parent"}
    account = online_schema["account"]
    assert [c[0] for c in account["columns"]] == ["id", "name", "ref", "score", "parent_id"]
    if name == "sqlite":
        assert ("ix_account_ref", ("ref",), False) in account["indexes"]
        assert account["table_comment"] is None  # SQLite keeps no comments
    else:
        assert account["columns"][1][2] is True  # name is nullable now
        assert "INT" in account["columns"][3][1]  # score is an integer now
        assert account["comments"] == {
            "id": None,
            "name": "nm",
            "ref": "reference",
            "score": None,
            "parent_id": None,
        }
        assert "x" in str(account["defaults"]["name"]) and "r0" in str(account["defaults"]["ref"])
        assert account["table_comment"] == "accounts"
        assert [fk[:2] for fk in account["fks"]] == [("fk_account_parent", ("parent_id",))]
        assert "ck_account_score" in account["checks"]
        assert online_schema["label"]["pk"] == ["label"]
        uniques = {u[0] for u in account["uniques"]} | {i[0] for i in account["indexes"]}
        assert "uq_account_ref" in uniques
        assert online_rows[0][3] == 7

    with online(connection) as operations:
        for change in reversed(revision_ops(name)):
            if not isinstance(change, ops.ExecuteSQLOp):
                operations.invoke(change.reverse())
    connection.commit()
    assert snapshot(connection) == {}

    with offline(offline_dialect(name)) as (operations, sink):
        for change in revision_ops(name):
            operations.invoke(change)
    run_script(connection, sink.script)
    connection.commit()
    assert full_snapshot(connection) == online_schema
    assert [tuple(r) for r in connection.execute(sa.text("SELECT * FROM account"))] == online_rows


def test_reversing_an_alter_column_puts_the_column_back(server: sa.Connection) -> None:
    connection = server
    change = ops.AlterColumnOp(
        "t",
        "a",
        modify_type=sa.String(40),
        modify_nullable=False,
        modify_name="b",
        existing_type=sa.String(20),
        existing_nullable=True,
    )
    with online(connection) as operations:
        op.create_table("t", sa.Column("a", sa.String(20)))
        before = full_snapshot(connection)
        operations.invoke(change)
        after = full_snapshot(connection)["t"]["columns"]
        operations.invoke(change.reverse())
    assert after == [("b", "VARCHAR(40)", False)]
    assert full_snapshot(connection) == before


def test_table_comments_set_change_and_drop(connection: sa.Connection) -> None:
    with online(connection) as operations:
        op.create_table("t", sa.Column("a", sa.Integer))
        op.create_table_comment("t", "first")
        op.create_table_comment("t", "it's second", existing_comment="first")
        middle = (
            sa.inspect(connection).get_table_comment("t")["text"]
            if operations.impl.supports_comments
            else None
        )
        op.drop_table_comment("t", existing_comment="it's second")
        end = snapshot(connection)["t"]["table_comment"]
    assert end is None
    if backend(connection) != "sqlite":
        assert middle == "it's second"


def test_bad_names_give_one_clear_line(connection: sa.Connection) -> None:
    name = backend(connection)
    with online(connection):
        op.create_table("account", sa.Column("id", sa.Integer), sa.Column("name", sa.String(9)))
    connection.commit()

    def fails(call: Any) -> str:
        with online(connection), pytest.raises(DistillError) as error:
            call()
        connection.rollback()
        message = str(error.value)
        assert "\n" not in message
        return message

    message = fails(lambda: op.alter_column("account", "nope", new_column_name="x"))
    assert message.startswith("alter_column('account', 'nope'): ")
    assert "nope" in message[len("alter_column('account', 'nope'): ") :]
    message = fails(lambda: op.rename_table("nosuch", "other"))
    assert message.startswith("rename_table('nosuch', 'other'): ")
    assert "Check the table name" in message
    if name == "sqlite":
        return
    message = fails(lambda: op.alter_column("account", "nope", nullable=False))
    assert "Check the column name" in message or "has no column 'nope'" in message
    message = fails(lambda: op.drop_constraint("uq_nope", "account", type_="unique"))
    assert message.startswith("drop_constraint('uq_nope', 'account'): ")
    assert "check the name" in message.lower()
    message = fails(lambda: op.create_unique_constraint("uq_x", "account", ["nope"]))
    assert message.startswith("create_unique_constraint('uq_x', 'account'): ")
    assert "nope" in message
    # if_exists skips what is not there
    with online(connection):
        op.drop_constraint("uq_nope", "account", type_="unique", if_exists=True)
    assert [c["name"] for c in sa.inspect(connection).get_columns("account")] == ["id", "name"]


def test_not_null_over_null_rows_explains_the_fix(server: sa.Connection) -> None:
    connection = server
    with online(connection):
        op.create_table("t", sa.Column("a", sa.Integer))
        op.execute("INSERT INTO t (a) VALUES (NULL)")
    connection.commit()
    with online(connection), pytest.raises(DistillError) as error:
        op.alter_column("t", "a", nullable=False, existing_type=sa.Integer())
    connection.rollback()
    message = str(error.value)
    assert message.startswith("alter_column('t', 'a'): the database refused it: ")
    assert "NULL" in message and "first" in message


def test_rename_column_carries_data(connection: sa.Connection) -> None:
    with online(connection):
        op.create_table("t", sa.Column("a", sa.Integer), sa.Column("b", sa.String(5)))
        op.execute("INSERT INTO t (a, b) VALUES (1, 'x')")
        op.alter_column("t", "b", new_column_name="c")
        op.rename_table("t", "u")
    rows = connection.execute(sa.text("SELECT a, c FROM u")).all()
    assert [tuple(r) for r in rows] == [(1, "x")]


def test_sequences_via_execute_and_with_tables(server: sa.Connection) -> None:
    connection = server  # MariaDB >= 10.3 has sequences too
    assert connection.dialect.supports_sequences
    with online(connection):
        op.execute(sa.schema.CreateSequence(sa.Sequence("counter", start=10)))
        table = op.create_table(
            "item", sa.Column("id", sa.Integer, sa.Sequence("item_id_seq"), primary_key=True)
        )
    assert connection.execute(sa.select(sa.Sequence("counter").next_value())).scalar() == 10
    connection.execute(table.insert())  # SQLAlchemy fires the sequence for each new id
    connection.execute(table.insert())
    assert sorted(connection.execute(sa.select(table.c.id)).scalars()) == [1, 2]
    with online(connection) as operations:
        operations.invoke(ops.CreateTableOp.from_table(table).reverse())
        op.execute(sa.schema.DropSequence(sa.Sequence("counter")))
    assert sa.inspect(connection).get_sequence_names() == []


def test_naming_convention_names_and_drops_constraints(server: sa.Connection) -> None:
    convention = sa.MetaData(
        naming_convention={
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        }
    )
    with online(server, target_metadata=convention):
        op.create_table("parent", sa.Column("id", sa.Integer, primary_key=True))
        op.create_table("t", sa.Column("a", sa.Integer), sa.Column("parent_id", sa.Integer))
        op.create_unique_constraint(None, "t", ["a"])
        op.create_check_constraint("positive", "t", "a > 0")
        op.create_foreign_key(None, "t", "parent", ["parent_id"], ["id"])
        inspector = sa.inspect(server)
        assert [u["name"] for u in inspector.get_unique_constraints("t")] == ["uq_t_a"]
        assert [c["name"] for c in inspector.get_check_constraints("t")] == ["ck_t_positive"]
        assert [f["name"] for f in inspector.get_foreign_keys("t")] == ["fk_t_parent_id_parent"]
        # dropped by the names they were created with: the convention computes the same
        op.drop_constraint("positive", "t", type_="check")
        op.drop_constraint(op.f("uq_t_a"), "t", type_="unique")
        op.drop_constraint("fk_t_parent_id_parent", "t", type_="foreignkey")
    inspector = sa.inspect(server)
    assert inspector.get_check_constraints("t") == []
    assert inspector.get_unique_constraints("t") == []
    assert inspector.get_foreign_keys("t") == []
