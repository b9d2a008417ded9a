"""Each basic directive on a real SQLite, PostgreSQL and MariaDB, checked by reflection.

The central test runs a revision's worth of op objects online, undoes them with their
reverse(), then runs the offline script of the same ops on the emptied database: both
roads must reach the same schema and the same rows.
"""

from __future__ import annotations

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


def backend(connection: sa.Connection) -> str:
    return connection.engine.url.get_backend_name()


STATUS = sa.Enum("active", "closed", name="account_status")


def schema_ops(backend_name: str) -> list[MigrateOperation]:
    """A revision's worth of reversible schema changes."""
    account = ops.CreateTableOp(
        "account",
        [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(50), nullable=False, comment="display name"),
            sa.Column("status", STATUS),
            sa.Column("active", sa.Boolean, server_default=sa.true()),
            sa.Column("parent_id", sa.Integer, sa.ForeignKey("account.id")),
            sa.Column("email", sa.String(100), index=True, unique=True),
            sa.UniqueConstraint("name", name="uq_account_name"),
        ],
        comment="accounts",
    )
    post = ops.CreateTableOp(
        "post",
        [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id"), nullable=False),
            sa.Column("title", sa.String(200)),
            sa.Column("legacy", sa.String(10)),
        ],
    )
    scratch = ops.CreateIndexOp("ix_post_scratch", "post", ["title"])
    changes: list[MigrateOperation] = [
        account,
        post,
        ops.AddColumnOp("post", sa.Column("score", sa.Integer, comment="ranking")),
        ops.CreateIndexOp("ix_post_title_account", "post", ["title", "account_id"], unique=True),
        scratch,
        ops.DropIndexOp("ix_post_scratch", "post", _reverse=scratch),
        ops.DropColumnOp.from_column_and_tablename(
            None, "post", sa.Column("legacy", sa.String(10))
        ),
    ]
    if backend_name != "mysql":  # MariaDB has no functional index key parts
        changes.append(ops.CreateIndexOp("ix_post_lower_title", "post", [sa.text("lower(title)")]))
    return changes


def data_ops() -> list[MigrateOperation]:
    """Rows written by execute() and bulk_insert() in their different forms."""
    post = sa.table(
        "post",
        sa.column("id", sa.Integer),
        sa.column("account_id", sa.Integer),
        sa.column("title", sa.String),
        sa.column("score", sa.Integer),
    )
    return [
        ops.ExecuteSQLOp(
            "INSERT INTO account (id, name, status, email) "
            "VALUES (1, 'root', 'active', 'root@example.org')"
        ),
        ops.ExecuteSQLOp(
            sa.text("INSERT INTO account (id, name, parent_id) VALUES (:id, :name, 1)").bindparams(
                id=2, name="it's me: :colon"
            )
        ),
        ops.BulkInsertOp(
            post,
            [
                {"id": 1, "account_id": 1, "title": "Hello", "score": 3},
                {"id": 2, "account_id": 2, "title": "O'Brien", "score": None},
            ],
        ),
        ops.BulkInsertOp(post, [{"id": 3, "account_id": 1, "title": "x"}], multiinsert=False),
        ops.ExecuteSQLOp(post.update().where(post.c.id == 3).values(title="third", score=9)),
    ]


def rows(connection: sa.Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: [
            tuple(row) for row in connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))
        ]
        for table in ("account", "post")
    }


def test_a_revision_online_reversed_then_offline_reaches_the_same_schema(
    connection: sa.Connection,
) -> None:
    name = backend(connection)
    with online(connection) as operations:
        for change in [*schema_ops(name), *data_ops()]:
            operations.invoke(change)
    online_schema, online_rows = snapshot(connection), rows(connection)
    connection.commit()

    assert set(online_schema) == {"account", "post"}
    account, post = online_schema["account"], online_schema["post"]
    assert [column[0] for column in account["columns"]] == [
        "id",
        "name",
        "status",
        "active",
        "parent_id",
        "email",
    ]
    assert [column[0] for column in post["columns"]] == ["id", "account_id", "title", "score"]
    assert ("ix_account_email", ("email",), True) in account["indexes"]
    assert ("ix_post_title_account", ("title", "account_id"), True) in post["indexes"]
    assert "ix_post_scratch" not in {index[0] for index in post["indexes"]}
    assert [fk[1:] for fk in post["fks"]] == [(("account_id",), "account")]
    assert [fk[1:] for fk in account["fks"]] == [(("parent_id",), "account")]
    if name != "sqlite":  # SQLite keeps no comments
        assert account["table_comment"] == "accounts"
        assert account["comments"]["name"] == "display name"
        assert post["comments"]["score"] == "ranking"
    assert online_rows["account"][1][1] == "it's me: :colon"
    assert [(row[0], row[2], row[3]) for row in online_rows["post"]] == [
        (1, "Hello", 3),
        (2, "O'Brien", None),
        (3, "third", 9),
    ]

    with online(connection) as operations:
        for change in reversed(schema_ops(name)):
            operations.invoke(change.reverse())
        # SQLAlchemy leaves a PostgreSQL ENUM in place when its table is dropped
        STATUS.drop(op.get_bind(), checkfirst=True)
    connection.commit()
    assert snapshot(connection) == {}

    with offline(offline_dialect(name)) as (operations, sink):
        for change in [*schema_ops(name), *data_ops()]:
            operations.invoke(change)
    run_script(connection, sink.script)
    connection.commit()
    assert snapshot(connection) == online_schema
    assert rows(connection) == online_rows


def test_create_table_returns_the_table_for_bulk_insert(connection: sa.Connection) -> None:
    with online(connection):
        table = op.create_table(
            "item",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("label", sa.String(20)),
        )
        op.bulk_insert(table, [{"id": 1, "label": "a"}, {"id": 2, "label": "b"}])
        op.bulk_insert(table, [])
        op.create_table("item", sa.Column("id", sa.Integer), if_not_exists=True)
    assert connection.execute(sa.select(table.c.label).order_by(table.c.id)).scalars().all() == [
        "a",
        "b",
    ]


def test_add_column_with_a_foreign_key_creates_the_constraint(connection: sa.Connection) -> None:
    with online(connection):
        op.create_table("parent", sa.Column("id", sa.Integer, primary_key=True))
        op.create_table("child", sa.Column("id", sa.Integer, primary_key=True))
        op.add_column(
            "child",
            sa.Column("parent_id", sa.Integer, sa.ForeignKey("parent.id", ondelete="CASCADE")),
        )
        op.add_column("child", sa.Column("rank", sa.Integer, index=True))
    inspector = sa.inspect(connection)
    [fk] = inspector.get_foreign_keys("child")
    assert (fk["constrained_columns"], fk["referred_table"]) == (["parent_id"], "parent")
    if backend(connection) == "sqlite":  # SQLAlchemy does not reflect inline FK options
        pragma = connection.exec_driver_sql("PRAGMA foreign_key_list(child)").one()
        assert pragma[6] == "CASCADE"
    else:
        assert fk["options"].get("ondelete") == "CASCADE"
    assert "ix_child_rank" in {ix["name"] for ix in inspector.get_indexes("child")}


def test_naming_convention_names_what_the_revision_left_unnamed(
    connection: sa.Connection,
) -> None:
    convention = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    with online(connection, target_metadata=convention):
        op.create_table("tag", sa.Column("id", sa.Integer, primary_key=True))
        op.create_table(
            "label",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("tag_id", sa.Integer, sa.ForeignKey("tag.id")),
            sa.Column("code", sa.String(10), unique=True),
        )
        op.create_index(None, "label", ["tag_id", "code"])
        op.create_index(op.f("custom_name"), "label", ["code"])
    inspector = sa.inspect(connection)
    [fk] = inspector.get_foreign_keys("label")
    indexes = {ix["name"] for ix in inspector.get_indexes("label")}
    uniques = {uq["name"] for uq in inspector.get_unique_constraints("label")}
    assert {"ix_label_tag_id_code", "custom_name"} <= indexes
    if backend(connection) != "sqlite":  # SQLite reflects no FK names of inline FKs
        assert fk["name"] == "fk_label_tag_id_tag"
    # MariaDB reports a UNIQUE constraint as a unique index too
    assert "uq_label_code" in uniques | indexes


def test_drop_table_and_drop_index_if_exists(connection: sa.Connection) -> None:
    with online(connection):
        op.create_table("gone", sa.Column("id", sa.Integer), sa.Column("x", sa.Integer))
        op.create_index("ix_gone_x", "gone", ["x"], if_not_exists=True)
        op.create_index("ix_gone_x", "gone", ["x"], if_not_exists=True)
        op.drop_index("ix_gone_x", "gone", if_exists=True)
        op.drop_index("ix_gone_x", "gone", if_exists=True)
        op.drop_table("gone", if_exists=True)
        op.drop_table("gone", if_exists=True)
    assert sa.inspect(connection).get_table_names() == []


def test_add_and_drop_column_if_not_exists_where_supported(connection: sa.Connection) -> None:
    with online(connection) as operations:
        op.create_table("thing", sa.Column("id", sa.Integer))
        if not operations.impl.supports_column_if_exists:
            with pytest.raises(DistillError, match="has no ADD COLUMN IF NOT EXISTS"):
                op.add_column("thing", sa.Column("x", sa.Integer), if_not_exists=True)
            with pytest.raises(DistillError, match="has no DROP COLUMN IF EXISTS"):
                op.drop_column("thing", "x", if_exists=True)
            return
        op.add_column("thing", sa.Column("x", sa.Integer), if_not_exists=True)
        op.add_column("thing", sa.Column("x", sa.Integer), if_not_exists=True)
        op.drop_column("thing", "x", if_exists=True)
        op.drop_column("thing", "x", if_exists=True)
    assert [c["name"] for c in sa.inspect(connection).get_columns("thing")] == ["id"]


def test_execute_forms_and_options(connection: sa.Connection) -> None:
    with online(connection):
        op.create_table("kv", sa.Column("k", sa.String(20)), sa.Column("v", sa.String(20)))
        op.execute("INSERT INTO kv VALUES ('percent', '100%')")
        op.execute("INSERT INTO kv VALUES ('time', '12\\:30')")
        op.execute(sa.text("INSERT INTO kv VALUES (:k, :v)").bindparams(k="bound", v="x"))
        kv = sa.table("kv", sa.column("k"), sa.column("v"))
        op.execute(kv.insert().values(k="core", v=op.inline_literal("lit")))
        op.execute(kv.update().where(kv.c.k == "core").values(v="y"), execution_options={})
        op.execute("DELETE FROM kv WHERE k = 'bound'", execution_options={"stream_results": False})
        with pytest.raises(DistillError, match=r"':x', which text\(\) reads as a bind parameter"):
            op.execute("INSERT INTO kv VALUES ('colon', ':x')")
    result = connection.execute(sa.text("SELECT k, v FROM kv ORDER BY k")).all()
    assert [tuple(row) for row in result] == [
        ("core", "y"),
        ("percent", "100%"),
        ("time", "12:30"),
    ]


def test_bulk_insert_with_sql_values_and_bad_rows(connection: sa.Connection) -> None:
    with online(connection):
        table = op.create_table("n", sa.Column("id", sa.Integer), sa.Column("label", sa.String(10)))
        op.bulk_insert(table, [{"id": 1, "label": op.inline_literal("one")}, {"id": 2}])
        with pytest.raises(DistillError, match=r"row 2 has 'nope', which is not a column"):
            op.bulk_insert(table, [{"id": 3}, {"nope": 1}])
        with pytest.raises(DistillError, match="rows must be a list of dicts"):
            op.bulk_insert(table, {"id": 4})  # type: ignore[arg-type]
        with pytest.raises(DistillError, match="row 1 is a tuple"):
            op.bulk_insert(table, [(5, "x")])  # type: ignore[list-item]
    result = connection.execute(sa.select(table).order_by(table.c.id)).all()
    assert [tuple(row) for row in result] == [(1, "one"), (2, None)]


def test_postgresql_enum_is_created_once_per_run(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    mood = sa.Enum("happy", "sad", name="mood")
    with engine.connect() as connection:
        with online(connection):
            op.create_table("a", sa.Column("m", mood))
            op.create_table("b", sa.Column("m", mood))  # the same type: not created twice
            sa.Enum("x", name="other").create(op.get_bind())
            op.create_table("c", sa.Column("m", sa.Enum("x", name="other", create_type=False)))
        enums = {e["name"]: e["labels"] for e in sa.inspect(connection).get_enums()}
    engine.dispose()
    assert enums == {"mood": ["happy", "sad"], "other": ["x"]}


def test_drop_index_on_mysql_needs_the_table(mysql_url: str) -> None:
    engine = sa.create_engine(mysql_url)
    with engine.connect() as connection, online(connection):
        op.create_table("t", sa.Column("x", sa.Integer), sa.Index("ix_t_x", "x"))
        with pytest.raises(DistillError, match=r"the table name is required.*table_name="):
            op.drop_index("ix_t_x")
        op.drop_index("ix_t_x", "t")
        assert sa.inspect(connection).get_indexes("t") == []
    engine.dispose()


def test_sqlite_alters_in_place_what_it_can(sqlite_url: str) -> None:
    # what needs a table rebuild is tested with dialects/sqlite/ (test_sqlite_rebuild_*.py)
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection, online(connection):
        op.create_table(
            "t",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("code", sa.String(5), unique=True),
            sa.Column("x", sa.Integer, index=True),
            sa.Column("y", sa.Integer),
        )
        op.drop_column("t", "y")  # a plain column goes
        # a Boolean's CHECK rides along inside ADD COLUMN
        op.add_column("t", sa.Column("flag", sa.Boolean(create_constraint=True, name="ck_flag")))
        with pytest.raises(sa.exc.IntegrityError):
            connection.execute(sa.text("INSERT INTO t (id, flag) VALUES (1, 7)"))
        columns = [c["name"] for c in sa.inspect(connection).get_columns("t")]
    engine.dispose()
    assert columns == ["id", "code", "x", "flag"]
