"""Revision code catches what Alembic raises: distill's error for the same mistake is an
instance of the same exception type (ValueError, KeyError, TypeError, NotImplementedError,
NoSuchTableError), and still a DistillError with a one-line message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from support.op_runs import online

from distill.errors import DistillError

SETUP = [
    "CREATE TABLE parent (id INTEGER PRIMARY KEY)",
    """CREATE TABLE t (
        id INTEGER PRIMARY KEY,
        name VARCHAR(20),
        parent_id INTEGER REFERENCES parent(id),
        UNIQUE (name)
    )""",
    "CREATE INDEX ix_t_name ON t (name)",
    "INSERT INTO t (id, name) VALUES (1, 'a')",
]


def _batch(**kw: Any) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    def wrap(body: Callable[[Any], None]) -> Callable[[Any], None]:
        def run(op: Any) -> None:
            with op.batch_alter_table("t", **kw) as batch_op:
                body(batch_op)

        return run

    return wrap


CASES: dict[str, tuple[Callable[[Any], None], type[BaseException]]] = {
    "drop unnamed constraint": (
        _batch()(lambda b: b.drop_constraint(None, type_="unique")),
        ValueError,
    ),
    "drop missing constraint": (
        _batch()(lambda b: b.drop_constraint("t_parent_id_fkey", type_="foreignkey")),
        ValueError,
    ),
    "add unnamed constraint": (
        _batch(recreate="always")(lambda b: b.create_unique_constraint(None, ["parent_id"])),
        ValueError,
    ),
    "add unnamed primary key": (
        _batch(recreate="always")(lambda b: b.create_primary_key(None, ["id"])),
        ValueError,
    ),
    "rename missing column": (
        _batch(recreate="always")(lambda b: b.alter_column("nope", new_column_name="x")),
        KeyError,
    ),
    "drop missing index in a rebuild": (
        _batch(recreate="always")(lambda b: b.drop_index("ix_nope")),
        ValueError,
    ),
    "drop missing column": (_batch()(lambda b: b.drop_column("nope")), KeyError),
    "alter missing column": (
        _batch()(lambda b: b.alter_column("nope", nullable=False)),
        KeyError,
    ),
    "create_table in batch": (
        _batch()(lambda b: b.create_table("x", sa.Column("id", sa.Integer))),
        AttributeError,
    ),
    "drop_table in batch": (_batch()(lambda b: b.drop_table("x")), AttributeError),
    "recreate with a bad value": (_batch(recreate="sometimes")(lambda b: None), ValueError),
    "drop_constraint with a bad type_": (
        lambda op: op.drop_constraint("c", "t", type_="primarykey"),
        TypeError,
    ),
    "bulk_insert of a non-list": (
        lambda op: op.bulk_insert(sa.table("t", sa.column("id")), "rows"),
        TypeError,
    ),
    "bulk_insert of a list of non-dicts": (
        lambda op: op.bulk_insert(sa.table("t", sa.column("id")), [(1,)]),
        TypeError,
    ),
    "batch on a missing table": (
        lambda op: _batch_on_missing_table(op),
        sa.exc.NoSuchTableError,
    ),
}


def _batch_on_missing_table(op: Any) -> None:
    with op.batch_alter_table("missing") as batch_op:
        batch_op.drop_column("x")


def _database(path: Path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        for statement in SETUP:
            connection.exec_driver_sql(statement)
    return engine


def _alembic_error(engine: sa.Engine, body: Callable[[Any], None]) -> BaseException:
    from alembic.migration import MigrationContext
    from alembic.operations import Operations as AlembicOperations

    assert AlembicOperations.__module__ == "alembic.operations.base"
    with engine.begin() as connection:
        context = MigrationContext.configure(connection)
        with pytest.raises(Exception) as raised:
            body(AlembicOperations(context))
    return raised.value


def _distill_error(engine: sa.Engine, body: Callable[[Any], None]) -> BaseException:
    with (
        engine.begin() as connection,
        online(connection) as op,
        pytest.raises(Exception) as raised,
    ):
        body(op)
    return raised.value


@pytest.mark.parametrize("case", sorted(CASES))
def test_error_is_the_type_alembic_raises(tmp_path: Path, case: str) -> None:
    body, expected = CASES[case]
    theirs = _alembic_error(_database(tmp_path / "alembic.db"), body)
    ours = _distill_error(_database(tmp_path / "distill.db"), body)
    assert isinstance(theirs, expected), f"Alembic raised {theirs!r}"
    assert isinstance(ours, expected), f"distill raised {ours!r}"
    assert isinstance(ours, DistillError)
    assert "\n" not in str(ours) and "Traceback" not in str(ours)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (CASES["drop unnamed constraint"][0], "Constraint must have a name"),
        (CASES["drop missing constraint"][0], "No such constraint: 't_parent_id_fkey'"),
    ],
)
def test_message_starts_as_alembic_s(
    tmp_path: Path, body: Callable[[Any], None], message: str
) -> None:
    ours = _distill_error(_database(tmp_path / "distill.db"), body)
    assert str(ours).startswith(message)


def test_revision_falls_back_when_it_catches_value_error(tmp_path: Path) -> None:
    """The pattern from real projects: try the drop, take another path on ValueError."""
    engine = _database(tmp_path / "distill.db")
    with engine.begin() as connection, online(connection) as op:
        for unique in sa.inspect(connection).get_unique_constraints("t"):
            try:
                with op.batch_alter_table("t") as batch_op:
                    batch_op.drop_constraint(unique["name"], type_="unique")
            except ValueError:
                op.add_column("t", sa.Column("fallback", sa.Integer))
    with engine.connect() as connection:
        columns = [c["name"] for c in sa.inspect(connection).get_columns("t")]
        assert "fallback" in columns
        assert sa.inspect(connection).get_unique_constraints("t")
        assert connection.exec_driver_sql("SELECT name FROM t").scalar() == "a"
