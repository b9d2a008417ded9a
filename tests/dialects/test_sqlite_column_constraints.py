"""SQLite: a column added with a foreign key or CHECK keeps its constraint's name and
options, in batch mode (a rebuild with a table-level CONSTRAINT, as Alembic does) and on
the plain-op path; a rebuild keeps the names written on columns in CREATE TABLE."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support.op_runs import online

CONVENTION = {
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}


def _database(path: Path, *statements: str) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE users (id INTEGER PRIMARY KEY)")
        connection.exec_driver_sql("CREATE TABLE post (id INTEGER PRIMARY KEY, title TEXT)")
        connection.exec_driver_sql("INSERT INTO users VALUES (1)")
        connection.exec_driver_sql("INSERT INTO post VALUES (1, 'p')")
        for statement in statements:
            connection.exec_driver_sql(statement)
    return engine


def _foreign_keys(engine: sa.Engine, table: str = "post") -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return sorted(
            (fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"], fk["options"])
            for fk in sa.inspect(connection).get_foreign_keys(table)
        )


def _with_alembic(engine: sa.Engine, body: Callable[[Any], None], **opts: Any) -> None:
    from alembic.migration import MigrationContext
    from alembic.operations import Operations as AlembicOperations

    assert AlembicOperations.__module__ == "alembic.operations.base"
    with engine.begin() as connection:
        body(AlembicOperations(MigrationContext.configure(connection, opts=opts)))


def _with_distill(engine: sa.Engine, body: Callable[[Any], None], **opts: Any) -> None:
    with engine.begin() as connection, online(connection, **opts) as op:
        body(op)


def _batch_add_user_id(op: Any) -> None:
    with op.batch_alter_table("post") as batch_op:
        batch_op.add_column(
            sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
        )


def test_batch_add_column_fk_is_a_named_table_constraint_as_alembic(tmp_path: Path) -> None:
    metadata = sa.MetaData(naming_convention=CONVENTION)
    theirs = _database(tmp_path / "alembic.db")
    ours = _database(tmp_path / "distill.db")
    _with_alembic(theirs, _batch_add_user_id, target_metadata=metadata)
    _with_distill(ours, _batch_add_user_id, target_metadata=metadata)
    expected = [("fk_post_user_id_users", ("user_id",), "users", {"ondelete": "SET NULL"})]
    assert _foreign_keys(theirs) == expected
    assert _foreign_keys(ours) == expected
    _with_distill(
        ours, lambda op: op.drop_constraint("fk_post_user_id_users", "post", "foreignkey")
    )
    assert _foreign_keys(ours) == []
    with ours.connect() as connection:
        assert connection.exec_driver_sql("SELECT id, title FROM post").all() == [(1, "p")]


def test_batch_add_column_unnamed_fk_is_refused_as_alembic_does(tmp_path: Path) -> None:
    for tool, path in ((_with_alembic, "alembic.db"), (_with_distill, "distill.db")):
        engine = _database(tmp_path / path)
        with pytest.raises(ValueError, match="Constraint must have a name"):
            tool(engine, _batch_add_user_id)
        with engine.connect() as connection:
            columns = [c["name"] for c in sa.inspect(connection).get_columns("post")]
        assert columns == ["id", "title"]


def test_batch_add_column_inline_references_stays_an_alter(tmp_path: Path) -> None:
    engine = _database(tmp_path / "distill.db")

    def body(op: Any) -> None:
        with op.batch_alter_table("post") as batch_op:
            batch_op.add_column(
                sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")),
                inline_references=True,
            )

    _with_distill(engine, body)
    with engine.connect() as connection:
        sql = connection.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name='post'").scalar()
    assert "REFERENCES" in str(sql)
    assert _foreign_keys(engine) == [(None, ("user_id",), "users", {})]


def test_batch_add_column_named_check_as_alembic(tmp_path: Path) -> None:
    def body(op: Any) -> None:
        with op.batch_alter_table("post") as batch_op:
            batch_op.add_column(
                sa.Column("score", sa.Integer, sa.CheckConstraint("score >= 0", name="score"))
            )

    metadata = sa.MetaData(naming_convention=CONVENTION)
    results = []
    for tool, path in ((_with_alembic, "alembic.db"), (_with_distill, "distill.db")):
        engine = _database(tmp_path / path)
        tool(engine, body, target_metadata=metadata)
        with engine.connect() as connection:
            results.append(sa.inspect(connection).get_check_constraints("post"))
    assert results[0] == results[1] == [{"name": "ck_post_score", "sqltext": "score >= 0"}]


def test_plain_add_column_fk_reflects_its_name_and_options(tmp_path: Path) -> None:
    engine = _database(tmp_path / "distill.db")
    column = sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_author", ondelete="CASCADE")
    )
    _with_distill(engine, lambda op: op.add_column("post", column))
    assert _foreign_keys(engine) == [("fk_author", ("user_id",), "users", {"ondelete": "CASCADE"})]
    _with_distill(engine, lambda op: op.drop_constraint("fk_author", "post", type_="foreignkey"))
    assert _foreign_keys(engine) == []
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT id, title FROM post").all() == [(1, "p")]


def test_rebuild_keeps_names_written_on_columns(tmp_path: Path) -> None:
    engine = _database(
        tmp_path / "distill.db",
        "CREATE TABLE tagged (id INTEGER PRIMARY KEY, "
        "user_id INTEGER CONSTRAINT fk_tagged_user REFERENCES users (id) ON DELETE SET NULL, "
        "code TEXT CONSTRAINT uq_tagged_code UNIQUE, extra TEXT)",
    )

    def body(op: Any) -> None:
        with op.batch_alter_table("tagged") as batch_op:
            batch_op.drop_column("extra")

    _with_distill(engine, body)
    assert _foreign_keys(engine, "tagged") == [
        ("fk_tagged_user", ("user_id",), "users", {"ondelete": "SET NULL"})
    ]
    with engine.connect() as connection:
        uniques = sa.inspect(connection).get_unique_constraints("tagged")
    assert uniques == [{"name": "uq_tagged_code", "column_names": ["code"]}]
    _with_distill(engine, lambda op: op.drop_constraint("fk_tagged_user", "tagged", "foreignkey"))
    assert _foreign_keys(engine, "tagged") == []
