"""Running the comparators plugins registered, around distill's own comparisons.

As under Alembic, a comparator registered for "schema" gets (autogen_context,
upgrade_ops, schemas), one for "table" gets (autogen_context, modify_table_ops, schema,
table_name, conn_table, metadata_table), one for "column" gets (autogen_context,
alter_column_op, schema, table_name, column_name, conn_column, metadata_column).
Priority FIRST runs before distill's own comparison, MEDIUM and LAST after it; a
dialect's functions before the default ones. A function returning STOP skips the rest
of its subgroup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from distill.autogenerate.registry import DispatchPriority, PriorityDispatchResult

if TYPE_CHECKING:
    from distill.autogenerate.comparison import Comparison


def run_comparators(
    run: Comparison | Any, target: str, builtin: Callable[[], None] | None, *args: Any
) -> None:
    """Run the registered comparators for `target`, with `builtin` in Alembic's slot."""
    entries = run.context.comparators.ordered(target, run.dialect.name)
    stopped: set[str | None] = set()
    builtin_done = builtin is None
    for priority, fn, subgroup in entries:
        if not builtin_done and priority < DispatchPriority.FIRST:
            builtin_done = True
            if None not in stopped:
                builtin()  # type: ignore[misc]
        if subgroup in stopped:
            continue
        if fn(run.context, *args) is PriorityDispatchResult.STOP:
            stopped.add(subgroup)
    if not builtin_done and None not in stopped:
        builtin()  # type: ignore[misc]


def run_column_comparators(run: Comparison, op: Any, *args: Any) -> None:
    """The plugin comparators of one column pair, on the column's AlterColumnOp."""
    if run.context.comparators.ordered("column", run.dialect.name):
        run_comparators(run, "column", None, op, *args)
