"""Batch patterns from published Alembic histories (realworld/repros/) where a rebuild
changes the key another table's foreign key refers to: on SQLite each gives what Alembic
gives, schema and rows, with foreign keys off and on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support.op_runs import snapshot
from support.sqlite_rebuild import migration

from distill.errors import DistillError


@dataclass(frozen=True)
class Pattern:
    """A schema with rows, and the revision body run on it."""

    setup: tuple[str, ...]
    body: Callable[[Any], None]
    tables: tuple[str, ...]


def _pk_change_with_child_fk(op: Any) -> None:
    """mlflow 1b5f0d9ad7c1: the parent's key grows a column, the child's FK follows later."""
    with op.batch_alter_table("parent") as batch_op:
        batch_op.add_column(sa.Column("ws", sa.String(10), nullable=False, server_default="x"))
        batch_op.drop_constraint("parent_pk", type_="primary")
        batch_op.create_primary_key("parent_pk", ["ws", "name"])
    with op.batch_alter_table("child") as batch_op:
        batch_op.add_column(sa.Column("ws", sa.String(10), nullable=False, server_default="x"))
        batch_op.drop_constraint("fk_child_parent", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_child_parent", "parent", ["ws", "parent_name"], ["ws", "name"]
        )


PK_CHANGE = (
    "CREATE TABLE parent (name VARCHAR(50) NOT NULL, CONSTRAINT parent_pk PRIMARY KEY (name))",
    "CREATE TABLE child (id INTEGER NOT NULL PRIMARY KEY, parent_name VARCHAR(50), "
    "CONSTRAINT fk_child_parent FOREIGN KEY (parent_name) REFERENCES parent (name))",
    "INSERT INTO parent VALUES ('a'), ('b')",
)


def _drop_parent_pk(op: Any) -> None:
    """airflow d59cbbef95eb: the key goes in one batch, a UNIQUE on it comes in the next."""
    with op.batch_alter_table("ti") as batch_op:
        batch_op.drop_constraint("ti_pkey", type_="primary")
    with op.batch_alter_table("ti") as batch_op:
        batch_op.alter_column("id", existing_type=sa.String(36), nullable=False)
        batch_op.create_unique_constraint("ti_composite_key", ["dag_id", "task_id"])
        batch_op.create_primary_key("ti_pkey", ["id"])


DROP_PK = (
    "CREATE TABLE ti (dag_id VARCHAR(20) NOT NULL, task_id VARCHAR(20) NOT NULL, "
    "id VARCHAR(36), CONSTRAINT ti_pkey PRIMARY KEY (dag_id, task_id))",
    "CREATE TABLE ti_note (dag_id VARCHAR(20) NOT NULL, task_id VARCHAR(20) NOT NULL, "
    "content VARCHAR(50), CONSTRAINT ti_note_pkey PRIMARY KEY (dag_id, task_id), "
    "CONSTRAINT ti_note_ti_fkey FOREIGN KEY (dag_id, task_id) REFERENCES ti (dag_id, task_id))",
    "INSERT INTO ti VALUES ('d', 't1', 'u1'), ('d', 't2', 'u2')",
)


def _parent_key_is_unique_index(op: Any) -> None:
    """airflow 5a5d66100783: the parent's key is a UNIQUE INDEX; a batch drops a column."""
    with op.batch_alter_table("dataset") as batch_op:
        batch_op.drop_column("is_orphaned")


UNIQUE_INDEX = (
    "CREATE TABLE dataset (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50) NOT NULL, "
    "uri VARCHAR(50) NOT NULL, is_orphaned BOOLEAN DEFAULT '0' NOT NULL)",
    "CREATE UNIQUE INDEX idx_dataset_name_uri_unique ON dataset (name, uri)",
    "CREATE TABLE asset_active (name VARCHAR(50) NOT NULL, uri VARCHAR(50) NOT NULL, "
    "CONSTRAINT asset_active_pkey PRIMARY KEY (name, uri), CONSTRAINT asset_active_fkey "
    "FOREIGN KEY (name, uri) REFERENCES dataset (name, uri))",
    "INSERT INTO dataset VALUES (1, 'a', 's3://a', 0), (2, 'b', 's3://b', 1)",
)

# Alembic's DROP TABLE of a parent whose children hold rows fails while foreign keys are
# enforced, so the patterns compared with Alembic there have childless parents; the rows
# of the children are added only where foreign keys are off.
PATTERNS = {
    "pk_change_with_child_fk": Pattern(PK_CHANGE, _pk_change_with_child_fk, ("parent", "child")),
    "drop_parent_pk": Pattern(DROP_PK, _drop_parent_pk, ("ti", "ti_note")),
    "parent_key_is_unique_index": Pattern(
        UNIQUE_INDEX, _parent_key_is_unique_index, ("dataset", "asset_active")
    ),
}
CHILD_ROWS = {
    "pk_change_with_child_fk": ("INSERT INTO child VALUES (1, 'a'), (2, NULL)",),
    "drop_parent_pk": ("INSERT INTO ti_note VALUES ('d', 't1', 'hello')",),
    "parent_key_is_unique_index": ("INSERT INTO asset_active VALUES ('a', 's3://a')",),
}


def _database(path: Path, statements: tuple[str, ...], foreign_keys: bool) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
    if foreign_keys:

        @sa.event.listens_for(engine, "connect")
        def _on(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    return engine


def _state(engine: sa.Engine, tables: tuple[str, ...]) -> tuple[Any, ...]:
    with engine.connect() as connection:
        rows = {
            table: sorted(connection.exec_driver_sql(f"SELECT * FROM {table}").all(), key=repr)
            for table in tables
        }
        return snapshot(connection), rows


def _run_both(tmp_path: Path, pattern: Pattern, setup: tuple[str, ...], fks: bool) -> None:
    from alembic.migration import MigrationContext
    from alembic.operations import Operations as AlembicOperations

    assert AlembicOperations.__module__ == "alembic.operations.base"
    theirs = _database(tmp_path / "alembic.db", setup, fks)
    ours = _database(tmp_path / "distill.db", setup, fks)
    with theirs.begin() as connection:
        pattern.body(AlembicOperations(MigrationContext.configure(connection)))
    with ours.connect() as connection, migration(connection) as op:
        pattern.body(op)
    assert _state(ours, pattern.tables) == _state(theirs, pattern.tables)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_foreign_keys_off_with_child_rows(tmp_path: Path, name: str) -> None:
    pattern = PATTERNS[name]
    _run_both(tmp_path, pattern, pattern.setup + CHILD_ROWS[name], fks=False)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_foreign_keys_on_without_child_rows(tmp_path: Path, name: str) -> None:
    pattern = PATTERNS[name]
    _run_both(tmp_path, pattern, pattern.setup, fks=True)


@pytest.mark.parametrize("name", ["parent_key_is_unique_index"])
def test_foreign_keys_on_keeps_child_rows(tmp_path: Path, name: str) -> None:
    """Where Alembic's DROP TABLE fails on the children's rows, distill keeps them."""
    pattern = PATTERNS[name]
    engine = _database(tmp_path / "distill.db", pattern.setup + CHILD_ROWS[name], True)
    child = pattern.tables[1]
    before = _state(engine, pattern.tables)[1][child]
    with engine.connect() as connection, migration(connection) as op:
        pattern.body(op)
    assert _state(engine, pattern.tables)[1][child] == before
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []


@pytest.mark.parametrize("name", ["drop_parent_pk", "pk_change_with_child_fk"])
def test_foreign_keys_on_refuses_to_orphan_a_key_with_rows(tmp_path: Path, name: str) -> None:
    """Rows refer to columns the new definition makes no key: SQLite cannot copy the parent
    back while foreign keys are on (Alembic fails too), and nothing changes."""
    pattern = PATTERNS[name]
    engine = _database(tmp_path / "distill.db", pattern.setup + CHILD_ROWS[name], True)
    before = _state(engine, pattern.tables)
    with (
        pytest.raises(DistillError, match="neither a primary key nor unique") as raised,
        engine.connect() as connection,
        migration(connection) as op,
    ):
        pattern.body(op)
    assert "PRAGMA foreign_keys=OFF" in str(raised.value)
    assert _state(engine, pattern.tables) == before


def _rename_then_constrain(op: Any) -> None:
    """airflow 05234396c6fc's downgrade: a batch renames asset_id back to dataset_id, then
    names the new column in a new primary key and a new foreign key."""
    with op.batch_alter_table("ref") as batch_op:
        batch_op.alter_column("asset_id", new_column_name="dataset_id", nullable=False)
        batch_op.drop_constraint("dsar_asset_fkey", type_="foreignkey")
        batch_op.create_primary_key("dsdr_pkey", ["dataset_id", "dag_id"])
        batch_op.create_foreign_key(
            "dsdr_dataset_fkey", "dataset", ["dataset_id"], ["id"], ondelete="CASCADE"
        )


RENAMED = (
    "CREATE TABLE dataset (id INTEGER NOT NULL PRIMARY KEY)",
    "CREATE TABLE ref (dag_id VARCHAR(10) NOT NULL, asset_id INTEGER NOT NULL, "
    "CONSTRAINT dsar_pkey PRIMARY KEY (asset_id, dag_id), "
    "CONSTRAINT dsar_asset_fkey FOREIGN KEY (asset_id) REFERENCES dataset (id))",
    "INSERT INTO dataset VALUES (1), (2)",
    "INSERT INTO ref VALUES ('d', 1), ('e', 2)",
)


def test_constraints_on_a_column_renamed_in_the_same_batch_are_created(tmp_path: Path) -> None:
    """A deliberate difference (README): Alembic's batch looks the columns of a new
    constraint up by their old names, so it silently leaves out a primary key or foreign
    key that names a column renamed earlier in the batch; distill creates what was asked,
    the schema the same revision gives on PostgreSQL."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations as AlembicOperations

    theirs = _database(tmp_path / "alembic.db", RENAMED, False)
    ours = _database(tmp_path / "distill.db", RENAMED, False)
    with theirs.begin() as connection:
        _rename_then_constrain(AlembicOperations(MigrationContext.configure(connection)))
    with ours.connect() as connection, migration(connection) as op:
        _rename_then_constrain(op)
    keys = {}
    for name, engine in (("alembic", theirs), ("distill", ours)):
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            keys[name] = (
                inspector.get_pk_constraint("ref"),
                [(fk["name"], fk["options"]) for fk in inspector.get_foreign_keys("ref")],
            )
    assert keys["distill"] == (
        {"constrained_columns": ["dataset_id", "dag_id"], "name": "dsdr_pkey"},
        [("dsdr_dataset_fkey", {"ondelete": "CASCADE"})],
    )
    assert keys["alembic"] == (
        {"constrained_columns": ["dataset_id", "dag_id"], "name": "dsar_pkey"},
        [],
    )
    assert _state(ours, ("dataset", "ref"))[1] == _state(theirs, ("dataset", "ref"))[1]
