"""Batch patterns from published Alembic histories (realworld/repros/): on SQLite each
gives what Alembic gives, schema and rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support.op_runs import online, snapshot


def _drop_then_rename_into_name(op: Any) -> None:
    """prefect 2ac65f1758c2: drop `value`, then rename `json_value` to `value`."""
    with op.batch_alter_table("variable") as batch_op:
        batch_op.drop_column("value")
        batch_op.alter_column("json_value", new_column_name="value")


def _index_before_its_column(op: Any) -> None:
    """prefect b75d279ba985: the index comes before the columns it names."""
    with op.batch_alter_table("variable") as batch_op:
        batch_op.create_index("ix_variable_name_version", ["name", "version"])
        batch_op.drop_column("json_value")
        batch_op.add_column(sa.Column("version", sa.String(20)))


def _drop_and_readd_indexed_column(op: Any) -> None:
    """mlflow 75868b020152: an indexed column dropped and added again keeps its index."""
    op.create_index("ix_variable_name_value", "variable", ["name", "value"])
    with op.batch_alter_table("variable") as batch_op:
        batch_op.drop_column("value")
        batch_op.drop_column("json_value")
        batch_op.add_column(sa.Column("value", sa.String(50)))


SETUP = [
    "CREATE TABLE variable (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, "
    "value VARCHAR(50), json_value TEXT)",
    "INSERT INTO variable VALUES (1, 'a', 'x', '\"x\"'), (2, 'b', NULL, NULL)",
]


def _database(path: Path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        for statement in SETUP:
            connection.exec_driver_sql(statement)
    return engine


def _state(engine: sa.Engine) -> tuple[Any, ...]:
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT * FROM variable ORDER BY id").all()
        return snapshot(connection), rows


@pytest.mark.parametrize(
    "body",
    [_drop_then_rename_into_name, _index_before_its_column, _drop_and_readd_indexed_column],
    ids=lambda body: body.__name__.strip("_"),
)
def test_batch_gives_what_alembic_gives(tmp_path: Path, body: Callable[[Any], None]) -> None:
    from alembic.migration import MigrationContext
    from alembic.operations import Operations as AlembicOperations

    assert AlembicOperations.__module__ == "alembic.operations.base"
    theirs, ours = _database(tmp_path / "alembic.db"), _database(tmp_path / "distill.db")
    with theirs.begin() as connection:
        body(AlembicOperations(MigrationContext.configure(connection)))
    with ours.begin() as connection, online(connection) as op:
        body(op)
    assert _state(ours) == _state(theirs)
