"""Directive fingerprints (what a resume checks skipped directives against): the same
directive written again gives the same one; any change to what it asks for changes it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from distill.operations.fingerprint import fingerprint
from distill.operations.ops import (
    AddColumnOp,
    BulkInsertOp,
    CreateIndexOp,
    CreateTableOp,
    ExecuteSQLOp,
)


def table_op(length: int = 20, nullable: bool = True, **extra: Any) -> CreateTableOp:
    kind = sa.String(length)
    return CreateTableOp(
        "t",
        [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", kind, nullable=nullable, server_default="x", **extra),
            sa.UniqueConstraint("name", name="uq_t_name"),
            sa.ForeignKeyConstraint(["id"], ["other.id"], ondelete="CASCADE"),
        ],
    )


def test_the_same_directive_written_twice_has_one_fingerprint() -> None:
    assert fingerprint(table_op()) == fingerprint(table_op())
    first = CreateIndexOp("ix", "t", ["a", sa.text("lower(b)")])
    assert fingerprint(first) == fingerprint(CreateIndexOp("ix", "t", ["a", sa.text("lower(b)")]))
    assert fingerprint(ExecuteSQLOp("SELECT 1")) == fingerprint(ExecuteSQLOp("SELECT 1"))


def test_what_the_directive_asks_for_changes_the_fingerprint() -> None:
    base = fingerprint(table_op())
    assert fingerprint(table_op(30)) != base
    assert fingerprint(table_op(nullable=False)) != base
    assert fingerprint(table_op(comment="c")) != base
    assert fingerprint(CreateIndexOp("ix", "t", ["a"])) != fingerprint(
        CreateIndexOp("ix", "t", ["a", "b"])
    )
    assert fingerprint(ExecuteSQLOp("SELECT 1")) != fingerprint(ExecuteSQLOp("SELECT 2"))
    update = sa.table("t", sa.column("a")).update().values(a=1)
    other = sa.table("t", sa.column("a")).update().values(a=2)
    assert fingerprint(ExecuteSQLOp(update)) != fingerprint(ExecuteSQLOp(other))
    rows = sa.table("t", sa.column("a"))
    assert fingerprint(BulkInsertOp(rows, [{"a": 1}])) != fingerprint(
        BulkInsertOp(rows, [{"a": 2}])
    )


def test_running_a_directive_does_not_change_its_fingerprint() -> None:
    """Fingerprints are taken before a directive runs; a Column or constraint joining a
    table as it runs must not matter to a directive that shares it."""
    column = sa.Column("a", sa.Integer)
    unique = sa.UniqueConstraint("a", name="uq")
    op = CreateTableOp("t", [column, unique])
    before = fingerprint(op)
    op.to_table()
    assert fingerprint(op) == before
    assert fingerprint(AddColumnOp("t", sa.Column("b", sa.Integer))) == fingerprint(
        AddColumnOp("t", sa.Column("b", sa.Integer))
    )
