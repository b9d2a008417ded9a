"""Build the schema of a revision on a scratch database and check a baseline against it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from distill.graph import Step
from distill.scripts.baseline import Baseline
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
    views: dict[str, str]
    """Each view's CREATE VIEW statement (raw SQL made them: the renderer has no op)."""


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
        rendered.append(render_creation(context, database))
        for (_, name), table in database.tables.items():
            columns[name] = {column.name for column in table.columns}
        views.update(view_statements(context.connection))

    views: dict[str, str] = {}
    runner.inspect(render)
    return HistorySchema(runner.snapshot(), rendered[0], columns, views)


def view_statements(connection: sa.Connection) -> dict[str, str]:
    """The CREATE VIEW statement of each view of the default schema."""
    from distill.dialects import impl_class_for

    inspector = sa.inspect(connection)
    hooks = impl_class_for(connection.dialect)
    return {
        name: hooks.view_statement(name, str(inspector.get_view_definition(name)))
        for name in sorted(inspector.get_view_names())
    }


def view_names(runner: HistoryRunner) -> set[str]:
    """The views of the scratch database."""
    engine = sa.create_engine(runner.url, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_view_names())
    finally:
        engine.dispose()


def check_baseline(
    runner: HistoryRunner, baseline: Baseline, history: SchemaSnapshot, views: Sequence[str] = ()
) -> list[str]:
    """Drop the history's schema with the baseline's downgrade, build it again with its
    upgrade, and return how the result differs from the history's (empty: equal)."""
    runner.script.baseline = baseline
    tip = baseline.tip
    runner.run([Step("downgrade", baseline.revision, (tip,), ())])
    left = runner.snapshot()
    if not left.is_empty or view_names(runner):
        names = sorted([*left.tables, *view_names(runner)])
        return [f"left after the baseline's downgrade: {name}" for name in names]
    runner.run([Step("upgrade", baseline.revision, (), (tip,))])
    found = difference(history, runner.snapshot())
    missing = sorted(set(views) - view_names(runner))
    return [*found, *(f"- view {name}" for name in missing)]
