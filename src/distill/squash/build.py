"""Build the schema of a revision on a scratch database and check a baseline against it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from distill.dialects.raw_objects import RawObject
from distill.graph import Step
from distill.scripts.baseline import Baseline
from distill.squash.raw_objects import (
    keep_sequence_defaults,
    raw_differences,
    raw_objects_at,
    read_raw_objects,
)
from distill.testing.checks import require_empty
from distill.testing.runner import HistoryRunner
from distill.testing.schema import SchemaSnapshot, difference

if TYPE_CHECKING:
    from distill.runtime.migrator import MigrationContext


@dataclass(frozen=True)
class HistorySchema:
    """What the history built: its snapshot, the rendered (upgrade, downgrade, imports)
    that build it from nothing, and each table's columns."""

    snapshot: SchemaSnapshot
    bodies: tuple[str, str, str]
    columns: dict[str, set[str]]
    raw_objects: list[RawObject]
    """Views, triggers, functions, procedures, sequences: raw SQL made them, the renderer
    has no op for them (squash/raw_objects.py)."""


def history_schema(runner: HistoryRunner, tip: str) -> HistorySchema:
    """Run the history up to `tip` on the empty scratch database and read what it built."""
    from distill.autogenerate.baseline import render_creation
    from distill.autogenerate.reflect import reflect_database

    require_empty(runner)
    runner.upgrade(tip)
    rendered: list[tuple[str, str, str]] = []
    columns: dict[str, set[str]] = {}

    def render(heads: tuple[str, ...], context: MigrationContext) -> None:
        version = (context.version_table_schema or "__none__", context.version_table)
        database = reflect_database(context.connection, [None], version_table=version)
        raw.extend(read_raw_objects(context.connection))
        rendered.append(render_creation(context, keep_sequence_defaults(database, raw)))
        for (_, name), table in database.tables.items():
            columns[name] = {column.name for column in table.columns}

    raw: list[RawObject] = []
    runner.inspect(render)
    return HistorySchema(runner.snapshot(), rendered[0], columns, raw)


def check_baseline(
    runner: HistoryRunner,
    baseline: Baseline,
    history: SchemaSnapshot,
    raw: Sequence[RawObject] = (),
) -> list[str]:
    """Drop the history's schema with the baseline's downgrade, build it again with its
    upgrade, and return how the result differs from the history's (empty: equal)."""
    runner.script.baseline = baseline
    tip = baseline.tip
    failed = _failure(runner, Step("downgrade", baseline.revision, (tip,), ()))
    if failed:
        return [f"its downgrade failed: {failed}"]
    left = runner.snapshot()
    left_raw = raw_objects_at(runner.url)
    if not left.is_empty or left_raw:
        names = [*sorted(left.tables), *sorted(left.enums), *(obj.label for obj in left_raw)]
        return [f"left after the baseline's downgrade: {name}" for name in names]
    failed = _failure(runner, Step("upgrade", baseline.revision, (), (tip,)))
    if failed:
        return [f"its upgrade failed: {failed}"]
    found = difference(history, runner.snapshot())
    return [*found, *raw_differences(raw, raw_objects_at(runner.url))]


def _failure(runner: HistoryRunner, step: Step) -> str | None:
    """Run `step`; the first line of the error it failed with, None when it ran."""
    try:
        runner.run([step])
    except Exception as error:  # the rendered file's SQL failed: the check reports it
        lines = str(error).strip().splitlines()
        return lines[0] if lines else type(error).__name__
    return None
