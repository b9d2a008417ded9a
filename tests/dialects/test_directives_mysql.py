"""MySQL / MariaDB specifics: MODIFY / CHANGE carrying what does not change, one DROP per
kind of constraint, the index a foreign key needs, defaults and renames."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from support.op_runs import online

from distill import op
from distill.errors import DistillError


@pytest.fixture
def connection(mysql_url: str) -> Iterator[sa.Connection]:
    engine = sa.create_engine(mysql_url)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def column(connection: sa.Connection, table: str, name: str) -> dict[str, Any]:
    found = next(c for c in sa.inspect(connection).get_columns(table) if c["name"] == name)
    return dict(found)


def describe(connection: sa.Connection, table: str, name: str) -> tuple[Any, ...]:
    c = column(connection, table, name)
    return (
        str(c["type"].compile(connection.dialect)),
        c["nullable"],
        c["default"],
        c["comment"],
        bool(c.get("autoincrement")),
    )


def test_one_change_carries_the_rest_of_the_column(connection: sa.Connection) -> None:
    with online(connection):
        op.create_table(
            "t",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("code", sa.String(10), nullable=False, server_default="x", comment="a code"),
            sa.Column("at", sa.DateTime, server_default=sa.func.now(), comment="when"),
        )
        # no existing_* given: distill reads them, where Alembic would drop them
        op.alter_column("t", "code", nullable=True)
        assert describe(connection, "t", "code") == ("VARCHAR(10)", True, "'x'", "a code", False)
        op.alter_column("t", "code", comment="the code")
        assert describe(connection, "t", "code") == ("VARCHAR(10)", True, "'x'", "the code", False)
        op.alter_column("t", "code", type_=sa.String(20))
        assert describe(connection, "t", "code") == ("VARCHAR(20)", True, "'x'", "the code", False)
        op.alter_column("t", "code", new_column_name="ref")
        assert describe(connection, "t", "ref") == ("VARCHAR(20)", True, "'x'", "the code", False)
        op.alter_column("t", "ref", server_default=None)
        assert describe(connection, "t", "ref") == ("VARCHAR(20)", True, None, "the code", False)
        op.alter_column("t", "id", comment="key")
        assert describe(connection, "t", "id") == ("INTEGER(11)", False, None, "key", True)
        op.alter_column("t", "at", nullable=False)
        at = describe(connection, "t", "at")
        assert (at[1], at[3]) == (False, "when") and "current_timestamp" in str(at[2]).lower()
        op.alter_column("t", "at", server_default=sa.text("'2024-01-01 00:00:00'"))
        assert describe(connection, "t", "at")[1:4] == (False, "'2024-01-01 00:00:00'", "when")


def test_given_existing_values_win_over_the_database(connection: sa.Connection) -> None:
    with online(connection):
        op.create_table("t", sa.Column("code", sa.String(10), comment="old"))
        op.alter_column("t", "code", nullable=False, existing_comment="revised")
    assert describe(connection, "t", "code") == ("VARCHAR(10)", False, None, "revised", False)


def test_altering_a_missing_column_names_it(connection: sa.Connection) -> None:
    with online(connection):
        op.create_table("t", sa.Column("a", sa.Integer), sa.Column("b", sa.Integer))
        with pytest.raises(DistillError) as error:
            op.alter_column("t", "c", nullable=False)
        assert str(error.value) == (
            "alter_column('t', 'c'): table t has no column 'c' (its columns: a, b); check "
            "the column name"
        )
        with pytest.raises(DistillError, match=r"table nope does not exist"):
            op.alter_column("nope", "c", nullable=False)


def test_drop_constraint_finds_the_kind_online(connection: sa.Connection) -> None:
    with online(connection):
        op.create_table("parent", sa.Column("id", sa.Integer, primary_key=True))
        op.create_table(
            "child",
            sa.Column("id", sa.Integer, nullable=False),
            sa.Column("parent_id", sa.Integer),
            sa.Column("code", sa.String(5)),
        )
        op.create_primary_key("pk_child", "child", ["id"])
        op.create_foreign_key("fk_child_parent", "child", "parent", ["parent_id"], ["id"])
        op.create_unique_constraint("uq_child_code", "child", ["code"])
        op.create_check_constraint("ck_child_id", "child", "id > 0")
        for name in ("fk_child_parent", "uq_child_code", "ck_child_id", "PRIMARY"):
            op.drop_constraint(name, "child")  # no type_: MySQL needs one, distill looks
        with pytest.raises(DistillError, match="has no constraint named 'uq_child_code'"):
            op.drop_constraint("uq_child_code", "child")
        op.drop_constraint("uq_child_code", "child", type_="unique", if_exists=True)
    inspector = sa.inspect(connection)
    assert inspector.get_foreign_keys("child") == []
    assert inspector.get_unique_constraints("child") == []
    assert inspector.get_check_constraints("child") == []
    assert inspector.get_pk_constraint("child")["constrained_columns"] == []


def test_an_index_a_foreign_key_needs_is_explained(connection: sa.Connection) -> None:
    with online(connection):
        op.create_table("parent", sa.Column("id", sa.Integer, primary_key=True))
        op.create_table("child", sa.Column("parent_id", sa.Integer), sa.Column("n", sa.Integer))
        op.create_index("ix_child_parent", "child", ["parent_id"])
        op.create_foreign_key("fk_child_parent", "child", "parent", ["parent_id"], ["id"])
        with pytest.raises(DistillError) as error:
            op.drop_index("ix_child_parent", "child")
        message = str(error.value)
        assert message.startswith("drop_index('ix_child_parent', 'child'): the database refused")
        assert "drop the foreign key first" in message
        # the right order works
        op.drop_constraint("fk_child_parent", "child", type_="foreignkey")
        op.drop_index("ix_child_parent", "child")
    assert [ix["name"] for ix in sa.inspect(connection).get_indexes("child")] == []


def test_rename_table_and_constraint_errors(connection: sa.Connection) -> None:
    with online(connection):
        op.create_table("a", sa.Column("id", sa.Integer))
        op.rename_table("a", "b")
        with pytest.raises(DistillError) as error:
            op.drop_constraint("nope", "b", type_="foreignkey")
    assert sa.inspect(connection).get_table_names() == ["b"]
    message = str(error.value)
    assert message.startswith("drop_constraint('nope', 'b'): the database refused it: ")
    assert "check the name" in message
