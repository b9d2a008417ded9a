"""PostgreSQL specifics: ENUM types, USING, identity, schemas and comments, CONCURRENTLY
and ALTER TYPE in autocommit blocks, EXCLUDE, and a failed revision leaving no trace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.failures import failure_text
from support.op_runs import offline, online, run_script
from support.runtime_project import Project

from distill import command, op
from distill.errors import DistillError
from distill.operations import ops


@pytest.fixture
def connection(pg_url: str) -> Iterator[sa.Connection]:
    engine = sa.create_engine(pg_url)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def enums(connection: sa.Connection) -> dict[str, list[str]]:
    return {e["name"]: e["labels"] for e in sa.inspect(connection).get_enums(schema="*")}


MOOD = sa.Enum("happy", "sad", name="mood")


def test_add_column_creates_a_new_enum_type_once(connection: sa.Connection) -> None:
    with online(connection):
        op.create_table("a", sa.Column("id", sa.Integer))
        op.create_table("b", sa.Column("id", sa.Integer))
        op.add_column("a", sa.Column("m", MOOD))
    with online(connection):  # a later revision: the type exists, nothing is re-created
        op.add_column("b", sa.Column("m", MOOD))
        op.execute("INSERT INTO b (id, m) VALUES (1, 'sad')")
    assert enums(connection) == {"mood": ["happy", "sad"]}


def test_create_type_false_is_honoured(connection: sa.Connection) -> None:
    given = sa.Enum("x", "y", name="given", create_type=False)
    with online(connection):
        op.create_table("a", sa.Column("id", sa.Integer))
        with pytest.raises(DistillError, match='type "given" does not exist'):
            op.add_column("a", sa.Column("g", given))
    connection.rollback()
    with online(connection):
        op.create_table("a", sa.Column("id", sa.Integer))
        op.execute("CREATE TYPE given AS ENUM ('x', 'y', 'z')")  # the revision's own type
        op.add_column("a", sa.Column("g", given))
        op.create_table("b", sa.Column("g", given))
    assert enums(connection) == {"given": ["x", "y", "z"]}


def test_drop_table_drops_its_enum_types_when_nothing_else_uses_them(
    connection: sa.Connection,
) -> None:
    """The rule: a drop that knows the table's columns drops their ENUM types unless another
    column still uses them; a drop by name alone leaves types to the revision."""
    shared = sa.Enum("on", "off", name="switch")
    first = ops.CreateTableOp("first", [sa.Column("m", MOOD), sa.Column("s", shared)])
    second = ops.CreateTableOp("second", [sa.Column("s", shared)])
    with online(connection) as operations:
        operations.invoke(first)
        operations.invoke(second)
        operations.invoke(first.reverse())
        assert enums(connection) == {"switch": ["on", "off"]}  # second still uses it
        op.drop_table("second")  # by name only: the type stays
        assert enums(connection) == {"switch": ["on", "off"]}
        op.create_table("third", sa.Column("id", sa.Integer))
        op.add_column("third", sa.Column("s", shared))  # the type exists: not made again
        operations.invoke(
            ops.DropColumnOp.from_column_and_tablename(None, "third", sa.Column("s", shared))
        )
    assert enums(connection) == {}


def test_alter_column_type_with_using_and_a_clear_cast_error(connection: sa.Connection) -> None:
    with online(connection):
        op.create_table("t", sa.Column("score", sa.String(10)))
        op.execute("INSERT INTO t (score) VALUES ('12')")
    connection.commit()
    with online(connection), pytest.raises(DistillError) as error:
        op.alter_column("t", "score", type_=sa.Integer, existing_type=sa.String(10))
    connection.rollback()
    message = str(error.value)
    assert message.startswith("alter_column('t', 'score'): the database refused it: ")
    assert "pass postgresql_using='score::integer'" in message
    with online(connection):
        op.alter_column("t", "score", type_=sa.Integer, postgresql_using="score::integer")
        op.alter_column("t", "score", type_=sa.Enum("12", "13", name="level"),
                        postgresql_using="score::text::level")  # fmt: skip
    assert connection.execute(sa.text("SELECT score::text FROM t")).scalar() == "12"
    assert enums(connection) == {"level": ["12", "13"]}


def identity(connection: sa.Connection, table: str, column: str) -> object:
    found = next(c for c in sa.inspect(connection).get_columns(table) if c["name"] == column)
    return found.get("identity")


def test_identity_columns_in_create_add_and_alter(connection: sa.Connection) -> None:
    with online(connection):
        table = op.create_table(
            "t",
            sa.Column("id", sa.Integer, sa.Identity(start=100), primary_key=True),
            sa.Column("n", sa.Integer, nullable=False),
        )
        op.add_column("t", sa.Column("serial", sa.BigInteger, sa.Identity(always=True)))
        op.alter_column("t", "n", server_default=sa.Identity(start=5), existing_type=sa.Integer)
        op.execute(table.insert().values())
        row = connection.execute(sa.text("SELECT id, n, serial FROM t")).one()
        assert tuple(row) == (100, 5, 1)
        op.alter_column(
            "t",
            "n",
            server_default=sa.Identity(increment=10),
            existing_server_default=sa.Identity(start=5),
        )
        op.execute(table.insert().values())
        assert connection.execute(sa.text("SELECT max(n) FROM t")).scalar() == 15
        op.alter_column("t", "n", server_default=None, existing_server_default=sa.Identity())
    assert identity(connection, "t", "id") is not None
    assert identity(connection, "t", "serial")["always"] is True  # type: ignore[index]
    assert identity(connection, "t", "n") is None


def test_schemas_and_comments(connection: sa.Connection) -> None:
    with online(connection):
        op.execute("CREATE SCHEMA app")
        op.create_table(
            "account",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("code", sa.String(5), comment="short"),
            schema="app",
        )
        op.create_table_comment("account", "it's ours", schema="app")
        op.alter_column("account", "code", comment="a code", schema="app")
        op.alter_column("account", "code", new_column_name="ref", schema="app")
        op.create_unique_constraint("uq_ref", "account", ["ref"], schema="app")
        op.create_table("other", sa.Column("account_id", sa.Integer))
        op.create_foreign_key(
            "fk_other", "other", "account", ["account_id"], ["id"], referent_schema="app"
        )
        op.rename_table("account", "customer", schema="app")
    inspector = sa.inspect(connection)
    assert inspector.get_table_names(schema="app") == ["customer"]
    assert inspector.get_table_comment("customer", schema="app")["text"] == "it's ours"
    ref = inspector.get_columns("customer", schema="app")[1]
    assert (ref["name"], ref["comment"]) == ("ref", "a code")
    [fk] = inspector.get_foreign_keys("other")
    assert (fk["referred_schema"], fk["referred_table"]) == ("app", "customer")
    with online(connection):
        op.drop_constraint("fk_other", "other", type_="foreignkey")
        op.drop_constraint("uq_ref", "customer", schema="app", if_exists=True)
        op.drop_constraint("uq_ref", "customer", schema="app", if_exists=True)
        op.drop_table_comment("customer", schema="app")
    assert sa.inspect(connection).get_unique_constraints("customer", schema="app") == []


def test_exclude_constraint(connection: sa.Connection) -> None:
    with online(connection):
        op.create_table(
            "booking",
            sa.Column("room", sa.Integer),
            sa.Column("during", sa.dialects.postgresql.TSRANGE),
        )
        op.create_exclude_constraint(
            "no_overlap", "booking", ("during", "&&"), using="gist", where="room > 0"
        )
        op.execute("INSERT INTO booking VALUES (1, '[2024-01-01, 2024-01-03)')")
        with pytest.raises(sa.exc.IntegrityError):
            connection.execute(
                sa.text("INSERT INTO booking VALUES (2, '[2024-01-02, 2024-01-04)')")
            )
    connection.rollback()


def test_a_failed_revision_leaves_postgresql_unchanged(tmp_path: Path, pg_url: str) -> None:
    project = Project(tmp_path, pg_url)
    project.add(
        "aaa111",
        None,
        "bad alter",
        """
        op.create_table("account", sa.Column("id", sa.Integer), sa.Column("code", sa.String(5)))
        op.create_unique_constraint("uq_code", "account", ["code"])
        op.alter_column("account", "cdoe", nullable=False)
        """,
    )
    with pytest.raises(Exception) as error:
        command.upgrade(project.config(), "head")
    message = failure_text(error.value)
    assert "upgrade of revision aaa111" in message
    assert "alter_column('account', 'cdoe'): the database refused it: " in message
    assert 'column "cdoe" of relation "account" does not exist' in message
    assert "Check the column name" in message
    assert "rolled back: database unchanged" in message
    assert "\n" not in message
    assert project.tables() == set()  # even the version table was rolled back


CONCURRENTLY = """
op.create_table("t", sa.Column("a", sa.Integer))
op.execute("CREATE TYPE mood AS ENUM ('happy')")
with op.get_context().autocommit_block():
    op.create_index("ix_t_a", "t", ["a"], postgresql_concurrently=True)
    op.execute("ALTER TYPE mood ADD VALUE 'sad'")
op.create_table("u", sa.Column("m", sa.Enum(name="mood", create_type=False)))
op.execute("INSERT INTO u (m) VALUES ('sad')")
"""


def test_concurrently_and_alter_type_run_in_an_autocommit_block(
    tmp_path: Path, pg_url: str
) -> None:
    project = Project(tmp_path, pg_url)
    project.add(
        "aaa111",
        None,
        "concurrently",
        CONCURRENTLY,
        """
        with op.get_context().autocommit_block():
            op.drop_index("ix_t_a", "t", postgresql_concurrently=True)
        op.drop_table("u")
        op.drop_table("t")
        op.execute("DROP TYPE mood")
        """,
    )
    command.upgrade(project.config(), "head")
    engine = project.engine()
    with engine.connect() as connection:
        assert [ix["name"] for ix in sa.inspect(connection).get_indexes("t")] == ["ix_t_a"]
        assert enums(connection) == {"mood": ["happy", "sad"]}
    command.downgrade(project.config(), "base")
    with engine.connect() as connection:
        assert enums(connection) == {}
        assert not sa.inspect(connection).has_table("t")
    engine.dispose()


def test_concurrently_outside_an_autocommit_block_says_how(tmp_path: Path, pg_url: str) -> None:
    project = Project(tmp_path, pg_url)
    project.add(
        "aaa111",
        None,
        "concurrently",
        """
        op.create_table("t", sa.Column("a", sa.Integer))
        op.create_index("ix_t_a", "t", ["a"], postgresql_concurrently=True)
        """,
    )
    with pytest.raises(Exception) as error:
        command.upgrade(project.config(), "head")
    message = failure_text(error.value)
    assert "create_index('ix_t_a', 't', postgresql_concurrently=True)" in message
    assert "with op.get_context().autocommit_block():" in message
    assert project.tables() == set()  # even the version table was rolled back


def test_the_offline_enum_script_runs_in_postgresql_twice(connection: sa.Connection) -> None:
    """The DO blocks make a script's type handling safe to run on a database that has the
    type already, and the drop leaves a type another table still uses."""
    mood = sa.Enum("happy", "sad", name="mood")

    def script(table: str) -> str:
        with offline("postgresql") as (operations, sink):
            operations.create_table(table, sa.Column("id", sa.Integer))
            operations.add_column(table, sa.Column("m", mood))
        return sink.script

    run_script(connection, script("a"))
    run_script(connection, script("b"))  # the type exists: the script still runs
    with offline("postgresql") as (operations, sink):
        operations.invoke(
            ops.DropColumnOp.from_column_and_tablename(None, "a", sa.Column("m", mood))
        )
    run_script(connection, sink.script)
    assert enums(connection) == {"mood": ["happy", "sad"]}  # b still uses it
    run_script(connection, sink.script.replace("TABLE a", "TABLE b"))
    assert enums(connection) == {}
