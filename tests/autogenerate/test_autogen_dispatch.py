"""Plugin comparators around distill's own: priorities, dialect qualifiers, STOP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from support.autogen import create, produce

from distill.autogenerate import DispatchPriority, PriorityDispatchResult, comparators
from distill.autogenerate.registry import ComparatorRegistry
from distill.operations.ops import CreateTableCommentOp


@pytest.fixture
def registry() -> Iterator[ComparatorRegistry]:
    """The global comparators, restored after the test."""
    saved = comparators.branch()
    try:
        yield comparators
    finally:
        comparators._functions = saved._functions


def _tables() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "a", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("x", sa.Integer)
    )
    return metadata


def test_table_comparators_run_first_builtin_then_last(
    registry: ComparatorRegistry, sqlite_url: str
) -> None:
    create(sqlite_url, _tables())
    after = _tables()
    after.tables["a"].append_column(sa.Column("y", sa.Integer))
    seen: list[tuple[str, list[str]]] = []

    def first(context: Any, modify: Any, schema: Any, name: str, conn: Any, model: Any) -> None:
        seen.append(("first", [op.describe() for op in modify.ops]))

    def last(context: Any, modify: Any, schema: Any, name: str, conn: Any, model: Any) -> None:
        seen.append(("last", [op.describe() for op in modify.ops]))
        modify.ops.append(CreateTableCommentOp("a", "from a plugin"))

    def postgres_only(*args: Any) -> None:
        seen.append(("postgresql", []))

    registry.dispatch_for("table", priority=DispatchPriority.LAST)(last)
    registry.dispatch_for("table", priority=DispatchPriority.FIRST, qualifier="sqlite")(first)
    registry.dispatch_for("table", qualifier="postgresql")(postgres_only)
    [modify] = produce(sqlite_url, after).upgrade_ops_list[0].ops
    assert seen == [("first", []), ("last", ["Add column y to a"])]
    assert modify.ops[-1].describe() == "Set comment on table a"  # type: ignore[attr-defined]


def test_stop_skips_distills_own_comparison(registry: ComparatorRegistry, sqlite_url: str) -> None:
    create(sqlite_url, _tables())
    after = _tables()
    after.tables["a"].append_column(sa.Column("y", sa.Integer))

    def stop(*args: Any) -> PriorityDispatchResult:
        return PriorityDispatchResult.STOP

    registry.dispatch_for("table", priority=DispatchPriority.FIRST)(stop)
    assert produce(sqlite_url, after).upgrade_ops_list[0].ops == []


def test_column_comparators_see_each_alteration(
    registry: ComparatorRegistry, sqlite_url: str
) -> None:
    create(sqlite_url, _tables())
    calls: list[tuple[str, str]] = []

    def column(
        context: Any, alter: Any, schema: Any, table: str, name: str, conn: Any, model: Any
    ) -> None:
        calls.append((table, name))

    registry.dispatch_for("column")(column)
    assert produce(sqlite_url, _tables()).upgrade_ops_list[0].ops == []
    assert sorted(calls) == [("a", "id"), ("a", "x")]
